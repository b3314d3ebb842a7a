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
    """CPU seconds per named process tree and for the whole machine, at one moment."""

    at: float
    trees: dict[str, float]
    machine: float


def sample(roots: dict[str, int]) -> Sample | None:
    """Read the counters now (the caller's own process counts as 'client'); None without /proc."""
    if not (PROC / "stat").exists():
        return None
    trees = {name: sum((_stat(pid) or (0, 0.0))[1] for pid in _tree_pids(pid)) for name, pid in roots.items()}
    trees["client"] = (_stat(os.getpid()) or (0, 0.0))[1]
    return Sample(time.monotonic(), trees, _busy_seconds())


def usage(before: Sample | None, after: Sample | None) -> dict[str, float]:
    """Cores used on average per tree between two samples, plus 'other' for the rest of the machine."""
    if before is None or after is None or after.at <= before.at:
        return {}
    wall = after.at - before.at
    used = {name: (after.trees.get(name, 0.0) - before.trees.get(name, 0.0)) / wall for name in after.trees}
    used["other"] = max(0.0, (after.machine - before.machine) / wall - sum(used.values()))
    return used
