"""Crash safety: kill -9 the ASGI server in the middle of a burst of submissions.

Usage: .venv/bin/python benchmarks/crash.py [N] [--workers W] [--kill-after K]
       (DATABASE_URL selects the PostgreSQL server; default postgres://postgres@127.0.0.1/postgres)

On a throw-away PostgreSQL database: one open call, N organisations each with a complete draft
application and an API token of its applicant. Starts uvicorn (W workers, default 2) serving
config.asgi in its own process group, fires the N submissions at once
(`POST /api/v1/applications/<id>/submit/`, one thread each), and as soon as K of them (default
N/2) have been acknowledged with 200, sends SIGKILL to the whole process group: the workers die
mid-request, some transactions half-way. Then it starts the server again and checks:

- acknowledged: submissions that got a 200 before the kill;
- found: acknowledged ones that are `submitted` in the database, with their audit event
  (`application.submit`);
- lost: acknowledged but not found (target 0);
- half_written: any of the N whose state and audit trail disagree (submitted without the event,
  or the event without the state) (target 0);
- audit_verify: the hash chain of the whole trail after the restart (target ok);
- restarted_ok: the restarted server answers every acknowledged application as submitted.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import _servers  # benchmarks/ is on sys.path when a script in it runs

MEDIA = _servers.bootstrap("jiebang-crash-media-")

from django.db import connections  # noqa: E402


def build_world(n: int) -> list[tuple[int, str]]:
    """N organisations with a complete draft each; returns (application id, token)."""
    from django.conf import settings
    from rest_framework.authtoken.models import Token

    # The applicants authenticate with API tokens; a slow password hash would only slow set-up.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from tests.factories import OrganisationFactory, complete_application, member, published_call
    from workflow.choices import Role

    call = published_call(title="崩溃测试实训基地")
    world = []
    for i in range(n):
        organisation = OrganisationFactory()
        user = member(Role.APPLICANT, organisation)
        application = complete_application(
            call=call, organisation=organisation, title=f"崩溃测试项目{i + 1}"
        )
        world.append((application.pk, Token.objects.create(user=user).key))
    return world


class Server(_servers.Server):
    def __init__(self, workers: int) -> None:
        super().__init__(workers, MEDIA)

    def request(self, method: str, path: str, token: str, timeout: float = 60) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=b"{}" if method == "POST" else None,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                self.last_body = response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def fire(server: Server, world: list[tuple[int, str]], kill_after: int) -> set[int]:
    acknowledged: set[int] = set()
    lock = threading.Lock()
    enough = threading.Event()
    start = threading.Barrier(len(world) + 1)

    def submit(item: tuple[int, str]) -> None:
        pk, token = item
        start.wait()
        try:
            status = server.request("POST", f"/api/v1/applications/{pk}/submit/", token)
        except OSError:  # reset or refused: the server was killed under this request
            return
        if status == 200:
            with lock:
                acknowledged.add(pk)
                if len(acknowledged) >= kill_after:
                    enough.set()

    with ThreadPoolExecutor(max_workers=len(world)) as pool:
        for item in world:
            pool.submit(submit, item)
        start.wait()
        enough.wait(timeout=300)
        server.kill9()
        with lock:  # a response that arrived after this line was sent before the kill too
            killed_at = len(acknowledged)
    print(f"killed_after {killed_at} acknowledged")
    return acknowledged


def check(server: Server, world: list[tuple[int, str]], acknowledged: set[int]) -> dict:
    from django.core.management import CommandError, call_command

    from processes import engine  # noqa: F401 - flows registered
    from workflow.choices import ApplicationState
    from workflow.models import Application, AuditEvent

    for conn in connections.all():
        conn.close()
    ids = [pk for pk, _ in world]
    states = dict(Application.objects.filter(pk__in=ids).values_list("pk", "state"))
    events = set(
        AuditEvent.objects.filter(
            action="application.submit", object_id__in=[str(i) for i in ids]
        ).values_list("object_id", flat=True)
    )
    submitted = {pk for pk, state in states.items() if state == ApplicationState.SUBMITTED}
    audited = {int(i) for i in events}
    found = {pk for pk in acknowledged if pk in submitted and pk in audited}
    half_written = submitted ^ audited
    try:
        call_command("audit_verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
        chain = "ok"
    except CommandError as exc:
        chain = f"FAILED: {exc}"
    tokens = dict(world)
    restarted_ok = 0
    for pk in sorted(acknowledged):
        status = server.request("GET", f"/api/v1/applications/{pk}/", tokens[pk])
        if status == 200 and json.loads(server.last_body).get("state") == "submitted":
            restarted_ok += 1
    return {
        "acknowledged": len(acknowledged),
        "found": len(found),
        "lost": len(acknowledged - found),
        "half_written": len(half_written),
        "submitted_in_db": len(submitted),
        "audit_verify": chain,
        "restarted_ok": restarted_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=0)
    args = parser.parse_args()
    with _servers.throwaway_database("test_jiebang_crash"):
        run(args)


def run(args: argparse.Namespace) -> None:
    server = Server(args.workers)
    try:
        t0 = time.perf_counter()
        world = build_world(args.n)
        print(f"setup {time.perf_counter() - t0:.1f} s for {args.n} applications")
        server.start()
        acknowledged = fire(server, world, args.kill_after or args.n // 2)
        server.start()
        for name, value in check(server, world, acknowledged).items():
            print(f"{name} {value}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
