"""The Markdown the benchmark prints: machine, results against the issue's targets, CPU split."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

PACKAGES = ("gunicorn", "Flask", "huey", "SQLAlchemy", "line-bot-sdk")


def cores() -> int:
    """Cores this process may use (what the benchmark competes for)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def cpu_model() -> str:
    """The processor's name, when Linux tells it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def revision() -> str:
    """The commit measured, and whether the working tree differed from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine(database: str, queue: str) -> list[tuple[str, str]]:
    """What the figures were measured on."""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        ("Cores", f"{cores()} × {cpu_model()}"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", sys.version.split()[0]),
        ("SQLite", sqlite3.sqlite_version),
        ("Database", database),
        ("Queue", queue),
        ("Packages", ", ".join(f"{name} {version(name)}" for name in PACKAGES)),
        ("Code", revision()),
        ("Load average at start (1/5/15 min)", load),
    ]


def table(headers: tuple[str, ...], rows: list[tuple]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(passed: bool | None) -> str:
    """A target's outcome in one glyph (no target: a dash)."""
    return "—" if passed is None else ("✅" if passed else "❌")
