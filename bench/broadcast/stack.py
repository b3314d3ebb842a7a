"""The processes the benchmark starts (emulator, Huey consumer, flask commands), all stopped at the end."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.databases import recreate_postgres
from bench.processes import BIN, ChildProcesses, StackError, clean_env, free_port
from bot.config import PROJECT_ROOT


def prepare_database(choice: str, workdir: Path) -> str:
    """A fresh SQLite file, or the named PostgreSQL database dropped and created again."""
    if choice == "sqlite":
        return f"sqlite:///{workdir / 'koubei.db'}"
    return recreate_postgres(choice, "koubei_bench_broadcast")


def peak_memory_mb(pid: int) -> float | None:
    """A live process's peak resident memory (VmHWM)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024


class Stack(ChildProcesses):
    """The emulator and the bot's processes on loopback, sharing one environment and work dir."""

    def __init__(self, database: str, keep: bool) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="koubei-bench-broadcast-"))
        self.keep = keep
        self.database_url = prepare_database(database, self.workdir)
        self.secret, self.token = secrets.token_hex(16), "bench-" + secrets.token_urlsafe(24)
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def emulator_url(self) -> str:
        """The emulator's base URL (the bot's LINE_API_BASE)."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """A clean environment: nothing from the caller's KOUBEI_*, DATABASE_URL or REDIS_URL leaks in."""
        return clean_env(KOUBEI_ENV="development", KOUBEI_INSTANCE_PATH=str(self.workdir),
                         DATABASE_URL=self.database_url, LINE_CHANNEL_SECRET=self.secret,
                         LINE_CHANNEL_ACCESS_TOKEN=self.token, SECRET_KEY=secrets.token_hex(16),
                         LINE_API_BASE=self.emulator_url, PYTHONUNBUFFERED="1",
                         # the second broadcast goes to the same followers right after the first
                         KOUBEI_SURVEY_INTERVAL_DAYS="0",
                         # a killed sender's lease runs out quickly, so the resume need not wait a minute
                         KOUBEI_BROADCAST_LEASE_SECONDS="5")

    def start_emulator(self) -> None:
        """The LINE emulator, ready to answer."""
        self.spawn("emulator", [sys.executable, "-m", "line_emulator", "--port", str(self.port),
                                "--channel-secret", self.secret, "--access-token", self.token])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.emulator_url + "/_emulator/quota", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise StackError(f"the emulator did not start:\n{self.log_tail('emulator')}")

    def start_consumer(self, name: str) -> subprocess.Popen:
        """A Huey consumer, as the Procfile runs it (thread workers)."""
        process = self.spawn(name, [str(BIN / "huey_consumer"), "bench.broadcast.worker.huey", "--workers", "2",
                                    "--worker-type", "thread", "--delay", "0.1", "--max-delay", "0.5"])
        time.sleep(1.0)
        if process.poll() is not None:
            raise StackError(f"{name} exited:\n{self.log_tail(name)}")
        return process

    def flask(self, *args: str, timeout: float = 600) -> str:
        """Run ``flask --app wsgi ...`` and return its output."""
        return self.python("-m", "flask", "--app", "wsgi", *args, timeout=timeout)

    def python(self, *args: str, timeout: float = 600) -> str:
        """Run a Python module or script with the bench's environment; fail loudly."""
        result = subprocess.run([sys.executable, *args], cwd=PROJECT_ROOT, env=self.env(), capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise StackError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def stop(self) -> None:
        """Stop every process this stack started (TERM, then KILL), and remove the work dir."""
        self.stop_processes()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
