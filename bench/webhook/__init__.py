"""Webhook benchmark (issue 2): ack throughput and latency, end-to-end throughput, zero loss.

Run: ``.venv/bin/python -m bench.webhook --help``.
"""
