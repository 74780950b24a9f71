"""Notification delivery figures. Prints one `name value unit` line per figure.

Usage: .venv/bin/python benchmarks/notify.py [N_CLIENTS] [--workers W] [--decisions M]
                                             [--layer settings|capacity|pubsub]

Starts W daphne workers (default 2) serving config.asgi on a throw-away database (PostgreSQL
when DATABASE_URL is set, else an SQLite file) with the Redis channel layer (REDIS_URL, or a
private redis-server on a free port), connects N WebSocket clients (default 1,000) as distinct
logged-in users, spread over the workers, in a separate client process, then takes decisions in
this process (each a transaction with an audit record and a notification, as the services do):

- single: M decisions (default N) each telling one user; latency from commit to the frame's
  arrival at that user's socket, p50/p99/max (target p99 < 50 ms at N = 1,000);
- fan-out: 3 decisions each telling all N users; time from commit to the last live arrival
  (target < 500 ms) and the median arrival;
- late / lost / duplicated: notifications that arrived more than 2 s after commit (delivered by
  the consumers' heartbeat instead of live), never arrived, or arrived twice (target 0).

Clocks: both processes read CLOCK_MONOTONIC, which is one clock for the whole machine.
Decisions run the way an ASGI worker runs them (sync code under sync_to_async, delivery back on
the event loop with its pooled Redis connections). --layer picks the channel layer
(benchmarks/notify_settings.py); `settings` is what config/settings.py configures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.notifications.servers import AsgiServer, RedisServer  # noqa: E402


def now_ms() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


# --- the client process (no Django) ----------------------------------------------------------


async def _clients(ports, sessions, conn) -> None:
    """One tab per user, as notifications.js behaves: hello with the last id seen, take the
    catch-up, then live frames; reconnect and catch up again whenever the socket closes."""
    from websockets.asyncio.client import connect

    received: list[tuple[int, int, float]] = []  # (client, notification id, arrival ms)
    low_water = [0] * len(sessions)  # as notifications.js keeps them
    have: list[set[int]] = [set() for _ in sessions]
    reconnects = [0]
    sockets: list = [None] * len(sessions)
    gate = asyncio.Semaphore(50)

    def take(i: int, notification: dict) -> None:
        received.append((i, notification["id"], now_ms()))
        have[i].add(notification["id"])

    def sync(i: int, mark: int) -> None:
        low_water[i] = max(low_water[i], mark)
        have[i] = {n for n in have[i] if n > low_water[i]}

    async def open_one(i: int) -> None:
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/notifications/",
                origin="http://127.0.0.1",
                additional_headers={"Cookie": f"sessionid={sessions[i]}"},
                proxy=None,
                open_timeout=30,
                max_queue=None,
            )
            hello = {"type": "hello", "last_id": low_water[i], "have": sorted(have[i])}
            await ws.send(json.dumps(hello))
            reply = json.loads(await ws.recv())
            assert reply["type"] == "catchup"
            for n in reply["notifications"]:
                take(i, n)
            sync(i, reply["low_water"])
            sockets[i] = ws

    async def listen(i: int) -> None:
        while True:
            try:
                async for frame in sockets[i]:
                    message = json.loads(frame)
                    if message["type"] == "notification":
                        take(i, message["notification"])
                    elif message["type"] == "sync":
                        sync(i, message["low_water"])
            except Exception:
                pass
            reconnects[0] += 1
            await asyncio.sleep(1.0)
            with contextlib.suppress(Exception):
                await open_one(i)

    await asyncio.gather(*(open_one(i) for i in range(len(sessions))))
    listeners = [asyncio.create_task(listen(i)) for i in range(len(sessions))]
    conn.send("ready")
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, conn.recv) == "count":
        conn.send(len(received))
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets if ws), return_exceptions=True)
    conn.send((received, reconnects[0]))


def client_process(ports, sessions, conn) -> None:
    asyncio.run(_clients(ports, sessions, conn))


# --- this process: database, servers, decisions ------------------------------------------------


SETTINGS = "benchmarks.notify_settings"


def setup_django(redis_url: str, sqlite_path: str | None) -> None:
    os.environ["REDIS_URL"] = redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    from django.db import connection

    if sqlite_path:
        connection.settings_dict["TEST"]["NAME"] = sqlite_path
    else:
        connection.settings_dict["TEST"]["NAME"] = "jiebang_bench_notify"


def make_users(n: int) -> tuple[list, list[str]]:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    User = get_user_model()
    User.objects.bulk_create(User(username=f"bench{i}", password="!", email="") for i in range(n))
    users = list(User.objects.filter(username__startswith="bench").order_by("id"))
    store = SessionStore()
    expires = timezone.now() + timezone.timedelta(days=1)
    rows, keys = [], []
    for user in users:
        key = get_random_string(32)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys.append(key)
    Session.objects.bulk_create(rows)
    return users, keys


def decide(users, label: str) -> tuple[float, list]:
    """One decision: an audited transaction that tells `users`. Returns commit time and rows."""
    from django.db import transaction

    from notifications.kinds import Kind
    from notifications.messenger import notify
    from workflow import audit

    committed = []
    with transaction.atomic():
        audit.record(action="bench.decide", obj=users[0], by=None)
        transaction.on_commit(lambda: committed.append(now_ms()))  # runs before delivery
        rows = notify(Kind.EXPERT_INVITED, users, None, call=label)
    return committed[0], rows


HEARTBEAT = 30.0  # NOTIFICATIONS_HEARTBEAT's default, which the workers use
LIVE_MS = 2000.0  # arrivals later than this after commit are counted as late, not live


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run_decisions(users, decisions: int):
    from asgiref.sync import sync_to_async

    single = []  # (commit ms, notification id, client index)
    for i in range(decisions):
        k = i % len(users)
        t, rows = await sync_to_async(decide)([users[k]], f"single {i}")
        single.append((t, rows[0].pk, k))
    await asyncio.sleep(0.5)
    fanout = []
    index = {u.pk: k for k, u in enumerate(users)}
    for i in range(3):
        t, rows = await sync_to_async(decide)(users, f"fan-out {i}")
        fanout.append((t, {r.pk: index[r.recipient_id] for r in rows}))
        await asyncio.sleep(1.0)
    from django.db import connections

    await sync_to_async(connections.close_all)()  # the worker thread's, before the drop
    return single, fanout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clients", nargs="?", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--decisions", type=int, default=None)
    parser.add_argument("--layer", choices=["settings", "capacity", "pubsub"], default="settings")
    args = parser.parse_args()
    os.environ["BENCH_LAYER"] = args.layer
    n = args.clients

    own_redis = None
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        own_redis = RedisServer().start()
        redis_url = own_redis.url
    tmp = tempfile.mkdtemp(prefix="jiebang-bench-")
    sqlite_path = None if os.environ.get("DATABASE_URL") else str(Path(tmp) / "bench.sqlite3")
    setup_django(redis_url, sqlite_path)

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import connection
    from django.test.utils import setup_test_environment

    from tests.notifications.servers import database_url

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    workers, client = [], None
    try:
        layer = get_channel_layer()
        if hasattr(layer, "flush"):
            async_to_sync(layer.flush)()
        users, keys = make_users(n)
        db_url = database_url()
        connection.close()  # the workers open their own
        workers = [
            AsgiServer(
                database=db_url,
                redis=redis_url,
                log_dir=tmp,
                settings_module=SETTINGS,
            ).start()
            for _ in range(args.workers)
        ]
        for w in workers:
            w.wait()
        parent, child = mp.get_context("spawn").Pipe()
        client = mp.get_context("spawn").Process(
            target=client_process, args=([w.port for w in workers], keys, child)
        )
        started = now_ms()
        client.start()
        if not parent.poll(300):
            raise RuntimeError("clients did not connect in time")
        assert parent.recv() == "ready"
        connected_ms = now_ms() - started

        single, fanout = asyncio.run(run_decisions(users, args.decisions or n))
        # Whatever has not arrived live is owed by the consumers' heartbeat (30 s): wait for it
        # and count it as late; what is still missing then is lost.
        expected = len(single) + sum(len(r) for _t, r in fanout)
        deadline = time.monotonic() + HEARTBEAT + 10
        while time.monotonic() < deadline:
            time.sleep(1.0)
            parent.send("count")
            if parent.recv() >= expected:
                break
        parent.send("stop")
        received, reconnects = parent.recv()
        client.join(30)
    finally:
        if client is not None and client.is_alive():
            client.kill()
        for w in workers:
            w.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if own_redis is not None:
            own_redis.stop()

    arrivals: dict[int, list[tuple[int, float]]] = {}
    for i, nid, at in received:
        arrivals.setdefault(nid, []).append((i, at))
    lost = late = duplicated = 0
    latencies = []

    def arrival(nid: int, k: int, t: float) -> float | None:
        nonlocal lost, late, duplicated
        got = [at for i, at in arrivals.get(nid, []) if i == k]
        duplicated += max(0, len(got) - 1)
        if not got:
            lost += 1
            return None
        late += got[0] - t > LIVE_MS
        return got[0] - t

    for t, nid, k in single:
        ms = arrival(nid, k, t)
        if ms is not None and ms <= LIVE_MS:
            latencies.append(ms)
    fan_last, fan_median = [], []
    for t, recipients in fanout:
        times = [arrival(nid, k, t) for nid, k in recipients.items()]
        times = [ms for ms in times if ms is not None and ms <= LIVE_MS]
        if times:
            fan_last.append(max(times))
            fan_median.append(statistics.median(times))
    shutil.rmtree(tmp, ignore_errors=True)  # the workers' logs, kept only when it failed
    addressed = {nid: k for _t, nid, k in single}
    for _t, recipients in fanout:
        addressed.update(recipients)
    foreign = sum(1 for i, nid, _at in received if addressed.get(nid) != i)

    print(f"notify_layer_{args.layer} 1 flag")
    print(f"notify_clients {n} connections")
    print(f"notify_workers {args.workers} processes")
    print(f"notify_connect_all {connected_ms:.0f} ms")
    print(f"notify_single_decisions {len(single)} decisions")
    print(f"notify_single_p50 {percentile(latencies, 50):.1f} ms")
    print(f"notify_single_p99 {percentile(latencies, 99):.1f} ms")
    print(f"notify_single_max {max(latencies):.1f} ms")
    print(f"notify_fanout_{n}_last_median {statistics.median(fan_last):.0f} ms")
    print(f"notify_fanout_{n}_last_max {max(fan_last):.0f} ms")
    print(f"notify_fanout_{n}_arrival_median {statistics.median(fan_median):.0f} ms")
    print(f"notify_reconnects {reconnects} connections")
    print(f"notify_late {late} messages")
    print(f"notify_lost {lost} messages")
    print(f"notify_duplicated {duplicated} messages")
    print(f"notify_misdelivered {foreign} messages")


if __name__ == "__main__":
    main()
