"""CPU accounting from /proc: who used the two cores during a phase (and whether someone else did)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of one process, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name may contain spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _tree_pids(root: int) -> set[int]:
    """The process and all its descendants (gunicorn workers, consumer processes)."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[0]
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grown = bool(children)
    return tree


def _busy_seconds() -> float:
    """CPU seconds spent on all cores, excluding idle and iowait, since boot."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK


@dataclass
class Sample:
    """CPU seconds per named group, per server process, and for the whole machine, at one moment."""

    at: float
    groups: dict[str, float]
    servers: dict[str, dict[int, float]]
    machine: float


def sample(trees: dict[str, int], servers: dict[str, list[int]]) -> Sample | None:
    """Read the counters now: process trees we started, server processes (database, Redis) by pid,
    and the caller's own process as 'client'. None where /proc is not available (not Linux)."""
    if not (PROC / "stat").exists():
        return None
    groups = {name: sum((_stat(pid) or (0, 0.0))[1] for pid in _tree_pids(root)) for name, root in trees.items()}
    groups["client"] = (_stat(os.getpid()) or (0, 0.0))[1]
    per_pid = {name: {pid: stat[1] for pid in pids if (stat := _stat(pid)) is not None}
               for name, pids in servers.items()}
    return Sample(time.monotonic(), groups, per_pid, _busy_seconds())


def spent(before: Sample | None, after: Sample | None) -> tuple[float, dict[str, float]]:
    """Wall seconds between two samples and CPU seconds per group, plus 'other' for the rest.

    A server process that appeared in between counts from zero (a new connection's backend).
    """
    if before is None or after is None or after.at <= before.at:
        return 0.0, {}
    used = {name: max(0.0, after.groups[name] - before.groups.get(name, 0.0)) for name in after.groups}
    for name, pids in after.servers.items():
        earlier = before.servers.get(name, {})
        used[name] = sum(max(0.0, seconds - earlier.get(pid, 0.0)) for pid, seconds in pids.items())
    used["other"] = max(0.0, after.machine - before.machine - sum(used.values()))
    return after.at - before.at, used
