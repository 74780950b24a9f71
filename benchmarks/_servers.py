"""Shared pieces of the HTTP benchmarks (crash.py, crush.py): Django set-up against PostgreSQL,
a throw-away test database, and a uvicorn server in its own process group.

Import this module before anything from Django: `bootstrap()` sets the environment and calls
django.setup(); the temporary MEDIA_ROOT it makes is removed when the script exits. Every
process started here is stopped by its owner's `stop()`, by process
group id, never by name.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCHMARK_SECRET_KEY = "benchmark-only-secret-key-not-for-production-0123456789"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def bootstrap(media_prefix: str, settings_module: str = "config.settings") -> str:
    """Environment for this process and the servers it starts, then django.setup().
    Returns the temporary MEDIA_ROOT (uploads land there, not in the project)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    os.environ.setdefault("SECRET_KEY", BENCHMARK_SECRET_KEY)
    media = tempfile.mkdtemp(prefix=media_prefix)
    os.environ["MEDIA_ROOT"] = media
    atexit.register(shutil.rmtree, media, ignore_errors=True)  # 600 uploads of 2 MB in crush
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C: the finally blocks stop the server and
    # drop the test database instead of leaving them behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    import django

    django.setup()
    return media


@contextlib.contextmanager
def throwaway_database(name: str) -> Iterator[None]:
    """A fresh PostgreSQL test database `name` for the block, dropped afterwards."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        for conn in connections.all():
            conn.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _processes() -> Iterator[tuple[str, list[str]]]:
    """(command name, the /proc/<pid>/stat fields after the name) of every live process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
        except OSError:
            continue
        yield stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()


def process_group_cpu(pgid: int) -> float:
    """User + system CPU seconds of the live processes in process group `pgid` (Linux /proc)."""
    # fields[0] is stat field 3 (state): pgrp is field 5, utime 14, stime 15.
    ticks = sum(int(f[11]) + int(f[12]) for _name, f in _processes() if int(f[2]) == pgid)
    return ticks / CLOCK_TICKS


def command_cpu(name: str) -> float:
    """User + system CPU seconds of the live processes called `name` (e.g. postgres)."""
    ticks = sum(int(f[11]) + int(f[12]) for comm, f in _processes() if comm == name)
    return ticks / CLOCK_TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


class Server:
    """uvicorn serving config.asgi with W workers, in its own process group (kill -9 reaches
    every worker). `settings` picks another settings module for this server only."""

    def __init__(
        self, workers: int, log_dir: str, settings: str | None = None, env: dict | None = None
    ) -> None:
        from tests.notifications.servers import free_port

        self.port = free_port()
        self.workers = workers
        self.settings = settings
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log = Path(log_dir) / "uvicorn.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        from tests.notifications.servers import database_url, wait_for_port

        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            # Plain HTTP on 127.0.0.1: no redirect to https, no Secure-only cookies.
            "DJANGO_HTTPS": "0",
            **self.extra_env,
        }
        if self.settings:
            env["DJANGO_SETTINGS_MODULE"] = self.settings
        args = [sys.executable, "-m", "uvicorn", "config.asgi:application"]
        args += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        args += ["--no-access-log", "--log-level", "warning"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 reaches every worker
            )
        wait_for_port(self.port, 60, self.process)
        return self

    def cpu_seconds(self) -> float:
        """CPU used so far by the server's live processes (supervisor and workers)."""
        assert self.process is not None
        return process_group_cpu(self.process.pid)

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._wait_group_gone()

    def _wait_group_gone(self, timeout: float = 10.0) -> None:
        """Until no worker of the group is left: a dying worker still holding the listening
        socket would take a restarted server's first connections, then refuse the next."""
        assert self.process is not None
        pgid = self.process.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(int(f[2]) == pgid and f[0] != "Z" for _name, f in _processes()):
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            self._wait_group_gone()
