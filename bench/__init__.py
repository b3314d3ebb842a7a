"""Benchmarks that reproduce the figures in docs/benchmarks.md (one sub-package per benchmark)."""
