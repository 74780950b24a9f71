"""Real processes for the delivery tests and the benchmark: a private redis-server, daphne
workers, and a WebSocket client that behaves like notifications.js (hello, catch-up, reconnect).

Every process started here is stopped by its owner's `stop()` (fixtures call it in a finally),
by process id, never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

BASE_DIR = Path(__file__).resolve().parents[2]  # importable before Django is set up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 10.0):
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


class RedisServer:
    """A throw-away redis-server on a free port, without persistence, in a temporary folder."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="jiebang-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", self.dir, "--daemonize", "no"]
        log = open(Path(self.dir) / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, 10, self.process)
        return self

    def crash(self) -> None:
        """Stop it as a failure would: SIGKILL, nothing flushed."""
        _stop(self.process, signal.SIGKILL)
        self.process = None

    def stop(self) -> None:
        _stop(self.process)
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


def database_url() -> str:
    """The URL of the database this process uses now (the test database inside a test)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        if "memory" in str(s["NAME"]):
            raise RuntimeError("server processes cannot share an in-memory SQLite database")
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}"


class AsgiServer:
    """One daphne worker serving config.asgi with the given database and Redis."""

    def __init__(
        self,
        *,
        database: str,
        redis: str,
        log_dir: str,
        settings_module: str = "tests.notifications.server_settings",
        backend: str = "",
    ) -> None:
        self.port = free_port()
        self.database, self.redis, self.settings_module = database, redis, settings_module
        self.backend = backend
        self.log_path = Path(log_dir) / f"daphne-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> AsgiServer:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DATABASE_URL": self.database,
            "REDIS_URL": self.redis,
            "LOG_LEVEL": "WARNING",
            "CHANNEL_LAYER_BACKEND": self.backend,
        }
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        args += ["config.asgi:application"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait(self) -> AsgiServer:
        wait_for_port(self.port, 60, self.process)
        return self

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class LiveClient:
    """One browser tab: says hello with the last id it saw, takes the catch-up, then live
    messages; reconnects (and catches up again) whenever the socket closes."""

    def __init__(self, port: int, session_key: str, user_id: int) -> None:
        self.port, self.session_key, self.user_id = port, session_key, user_id
        self.ids: list[int] = []
        self.low_water = 0
        self.reconnects = 0
        self.ws = None

    def _hello(self) -> str:
        have = [i for i in self.ids if i > self.low_water]
        return json.dumps({"type": "hello", "last_id": self.low_water, "have": have})

    def _take(self, message: dict) -> None:
        if message["type"] == "notification":
            self.ids.append(message["notification"]["id"])
        elif message["type"] == "sync":
            self.low_water = max(self.low_water, message["low_water"])

    def connect(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ws = connect(
                    f"ws://127.0.0.1:{self.port}/ws/notifications/",
                    origin="http://127.0.0.1",
                    additional_headers={"Cookie": f"sessionid={self.session_key}"},
                    proxy=None,
                    open_timeout=5,
                )
                self.ws.send(self._hello())
                reply = json.loads(self.ws.recv(timeout=5))
                break
            except (OSError, TimeoutError, InvalidHandshake, InvalidStatus, ConnectionClosed):
                self.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert reply["type"] == "catchup", reply
        self.ids += [n["id"] for n in reply["notifications"]]
        self.low_water = max(self.low_water, reply["low_water"])

    def until(self, expected: list[int], timeout: float = 20.0) -> list[int]:
        """Read (reconnecting as needed) until every expected id is here or time runs out."""
        deadline = time.monotonic() + timeout
        while not set(expected) <= set(self.ids) and time.monotonic() < deadline:
            try:
                message = json.loads(self.ws.recv(timeout=0.25))
            except TimeoutError:
                continue
            except ConnectionClosed:
                self.reconnects += 1
                self.close()
                self.connect(max(1.0, deadline - time.monotonic()))
                continue
            self._take(message)
        return self.ids

    def quiet(self, seconds: float = 0.3) -> bool:
        """True when no notification arrives for a moment (nothing duplicated is in flight)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except (TimeoutError, ConnectionClosed):
                return True
            self._take(message)
            if message["type"] == "notification":
                return False
        return True

    def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                self.ws.close()
            self.ws = None
