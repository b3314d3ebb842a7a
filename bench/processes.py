"""The benchmarks' child processes: each in a session of its own with its log in the work dir, all stopped together."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


class StackError(RuntimeError):
    """A process did not start, died, or a command failed; the message says which and shows its log."""


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**values: str) -> dict[str, str]:
    """The caller's PATH, HOME and locale and nothing else (no KOUBEI_*, DATABASE_URL or REDIS_URL), plus ``values``."""
    env = {key: os.environ[key] for key in KEPT_ENV if key in os.environ}
    env.update(values)
    return env


class ChildProcesses:
    """Start, watch and stop a stack's processes; the stack provides ``workdir``, ``processes`` and ``env()``."""

    workdir: Path
    processes: dict[str, subprocess.Popen]

    def env(self) -> dict[str, str]:
        """The environment every process of the stack gets."""
        raise NotImplementedError

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        """Start a process in a session of its own (Ctrl-C reaches only the benchmark), its output in ``name.log``."""
        with open(self.workdir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env(), stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=_die_with_parent)
        self.processes[name] = process
        return process

    def log_tail(self, name: str, lines: int = 20) -> str:
        """The end of a process's log, for error messages."""
        path = self.workdir / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        """Fail loudly if any process has died."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(f"{name} died with {process.returncode}:\n{self.log_tail(name)}")

    def kill(self, name: str) -> None:
        """kill -9 a process and its children, the way a crash or an OOM kill ends a worker."""
        process = self.processes.pop(name)
        _signal_group(process, signal.SIGKILL)
        process.wait(10)

    def stop_processes(self) -> None:
        """TERM every process group started here, then KILL what is left after 15 s."""
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark itself is killed (-9), so nothing is left running."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the process group created for this child (its session), never anything else."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
