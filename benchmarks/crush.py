"""Deadline crush: N applicant sessions log in, edit, upload a 2 MB PDF and submit, through the
real portal pages, against uvicorn with W workers and PostgreSQL; then the same load against
bare Django views doing the same writes without the workflow (benchmarks/crush_baseline.py).

Usage: .venv/bin/python benchmarks/crush.py [N] [--window S] [--workers W] [--pdf-mb M]
       [--rounds R] [--timeout T] [--only workflow|bare]
       (DATABASE_URL selects PostgreSQL; needs aiohttp, a dev dependency)

Defaults: N=300 sessions per phase, S=120 s, W=2, M=2 MB, R=4: the two phases alternate in
four slices each (N/R sessions over S/R seconds: the same arrival rate), so that on a machine
shared with other work both meet the same background load and the ratio compares like with
like. --rounds 1 runs all the workflow sessions, then all the bare ones.

On a throw-away PostgreSQL database: one open call, 2N organisations each with one applicant
and one draft complete except one required attachment (N for each phase). Starts uvicorn
(benchmarks.crush_settings: the project's settings and URLs plus the bare endpoints), in its
own process group, talking to 127.0.0.1 only. Each session starts at i * S / N seconds (the
arrivals are spread evenly over the window) and runs, one request after the other:

  login_form  GET  /accounts/login/                       (200, sets the CSRF cookie)
  login       POST /accounts/login/                       (302 away from the login page)
  step_form   GET  applications/<pk>/steps/plan/          (200)
  edit        POST applications/<pk>/steps/plan/          (302: saved, on to the next step)
  upload      POST applications/<pk>/attachments/         (302: stored; multipart, the PDF)
  confirm     GET  applications/<pk>/confirm/             (200)
  submit      POST applications/<pk>/submit/              (302)

The bare phase does the same with /bare/applications/<pk>/{edit,upload,confirm,submit}/ (the
same login view, the same PDF). Errors: a transport error or timeout, an unexpected status
(a 200 where a redirect means success is a refused form), and a session whose application is
not `submitted` in the database at the end. A session stops at its first error.

Prints one `name value unit` line per figure: sessions, requests, duration, throughput,
latency p50/p95/p99/max per request type and overall (with and without the two login
requests: the password hash dominates a login), errors by kind, the ratios workflow / bare,
and the CPU seconds used by the server (supervisor + workers), by this client, and the
machine's busy share, so that the client's own cost on a small machine can be judged.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import _servers  # benchmarks/ is on sys.path when a script in it runs

MEDIA = _servers.bootstrap("jiebang-crush-media-")

from django.db import connections  # noqa: E402

try:
    import aiohttp
    import yarl
except ImportError:  # pragma: no cover - a dev dependency
    sys.exit("crush.py needs aiohttp: .venv/bin/pip install aiohttp")

PHASES = ("workflow", "bare")
NAMES = ("login_form", "login", "step_form", "edit", "upload", "confirm", "submit")
LOGIN_NAMES = ("login_form", "login")
PLAN_STEP = "plan"
# Whole sessions run before the measurement, per phase (each worker imports and compiles its
# templates once); their applications are not counted.
WARM_UP_SESSIONS = 4


# --- The world -----------------------------------------------------------------------------


@dataclass
class Applicant:
    username: str
    application: int
    kind: str  # the required attachment the session uploads


def build_world(n: int) -> dict[str, list[Applicant]]:
    """N applicants per phase (plus the warm-up ones, first), each with a draft complete but
    for one required attachment.

    Every user gets the same password hash, made once with the settings' own hasher (so a
    login costs what it costs in production); the users are created with a fast hasher first
    only to save the set-up 2N slow hashes."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.test import override_settings

    from tests.factories import (
        PASSWORD,
        OrganisationFactory,
        complete_application,
        member,
        published_call,
    )
    from workflow.choices import Role
    from workflow.models import Attachment

    encoded = make_password(PASSWORD)
    call = published_call(title="截止日冲击测试实训基地")
    kind = call.required_attachments[0]
    world: dict[str, list[Applicant]] = {phase: [] for phase in PHASES}
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=fast):
        for phase in PHASES:
            for i in range(n + WARM_UP_SESSIONS):
                organisation = OrganisationFactory()
                user = member(Role.APPLICANT, organisation, username=f"crush-{phase}-{i}")
                application = complete_application(
                    call=call, organisation=organisation, title=f"冲击测试项目{phase}{i + 1}"
                )
                Attachment.objects.filter(application=application, kind=kind).delete()
                world[phase].append(Applicant(user.username, application.pk, kind))
    get_user_model().objects.filter(username__startswith="crush-").update(password=encoded)
    return world


def hasher_name() -> str:
    from django.contrib.auth.hashers import get_hasher

    return get_hasher("default").algorithm


def make_pdf(megabytes: float) -> bytes:
    """A valid one-page PDF of about `megabytes` MB (an embedded file of random bytes)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("data.bin", os.urandom(int(megabytes * 1024 * 1024)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- The client ----------------------------------------------------------------------------


@dataclass
class Record:
    name: str
    status: int  # 0 for a transport error
    start: float
    seconds: float
    error: str = ""


@dataclass
class Phase:
    name: str
    records: list[Record] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    sessions_done: int = 0
    session_seconds: list[float] = field(default_factory=list)
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    postgres_cpu: float = 0.0
    machine_busy_cpu: float = 0.0
    machine_total_cpu: float = 0.0
    machine_busy: float = 0.0
    submitted_in_db: int = 0
    examples: list[str] = field(default_factory=list)


class SessionFailed(Exception):
    pass


def _urls(phase: str, pk: int) -> dict[str, str]:
    if phase == "workflow":
        step = f"/applications/{pk}/steps/{PLAN_STEP}/"
        return {
            "step": step,
            "upload": f"/applications/{pk}/attachments/",
            "confirm": f"/applications/{pk}/confirm/",
            "submit": f"/applications/{pk}/submit/",
        }
    return {
        "step": f"/bare/applications/{pk}/edit/",
        "upload": f"/bare/applications/{pk}/upload/",
        "confirm": f"/bare/applications/{pk}/confirm/",
        "submit": f"/bare/applications/{pk}/submit/",
    }


async def run_session(
    phase: Phase,
    base: str,
    applicant: Applicant,
    pdf: bytes,
    connector: aiohttp.BaseConnector,
    timeout: float,
) -> None:
    from tests.factories import PASSWORD

    urls = _urls(phase.name, applicant.application)
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies for an IP address host
    began = time.perf_counter()
    async with aiohttp.ClientSession(
        base_url=base,
        cookie_jar=jar,
        connector=connector,
        connector_owner=False,
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as http:

        def csrf() -> str:
            cookie = jar.filter_cookies(yarl.URL(base)).get("csrftoken")
            return cookie.value if cookie else ""

        async def call(name: str, method: str, path: str, expect: int, data=None) -> str:
            headers = {"X-CSRFToken": csrf()} if method == "POST" else {}
            if isinstance(data, dict):
                data = {"csrfmiddlewaretoken": csrf(), **data}
            start = time.perf_counter()
            try:
                async with http.request(
                    method, path, data=data, headers=headers, allow_redirects=False
                ) as response:
                    await response.read()
                    status, location = response.status, response.headers.get("Location", "")
            except (TimeoutError, aiohttp.ClientError) as exc:
                seconds = time.perf_counter() - start
                kind = "timeout" if isinstance(exc, asyncio.TimeoutError) else "transport"
                phase.records.append(Record(name, 0, start, seconds, kind))
                phase.errors[f"{kind}_{name}"] += 1
                if len(phase.examples) < 3:
                    phase.examples.append(f"{name} {method} {path} -> {exc!r}")
                raise SessionFailed from exc
            seconds = time.perf_counter() - start
            error = ""
            if status != expect:
                error = f"status_{status}_{name}"
            elif status == 302 and "/accounts/login/" in location:
                error = f"redirected_to_login_{name}"
            phase.records.append(Record(name, status, start, seconds, error))
            if error:
                phase.errors[error] += 1
                if len(phase.examples) < 3:
                    phase.examples.append(f"{name} {method} {path} -> {status} {location}")
                raise SessionFailed
            return location

        try:
            await call("login_form", "GET", "/accounts/login/", 200)
            await call(
                "login",
                "POST",
                "/accounts/login/",
                302,
                {"username": applicant.username, "password": PASSWORD, "next": urls["step"]},
            )
            await call("step_form", "GET", urls["step"], 200)
            await call("edit", "POST", urls["step"], 302, {"plan": _plan(applicant)})
            form = aiohttp.FormData()
            form.add_field("csrfmiddlewaretoken", csrf())
            prefix = "attachment-" if phase.name == "workflow" else ""
            form.add_field(prefix + "kind", applicant.kind)
            form.add_field("from", "attachments")
            form.add_field(
                prefix + "file", pdf, filename="申报书.pdf", content_type="application/pdf"
            )
            await call("upload", "POST", urls["upload"], 302, form)
            await call("confirm", "GET", urls["confirm"], 200)
            await call("submit", "POST", urls["submit"], 302, {})
        except SessionFailed:
            return
    phase.sessions_done += 1
    phase.session_seconds.append(time.perf_counter() - began)


def _plan(applicant: Applicant) -> str:
    return f"截止日前的最后修改：{applicant.username} 的建设方案。" * 20


async def run_phase(
    phase: Phase,
    server: _servers.Server,
    applicants: list[Applicant],
    pdf: bytes,
    window: float,
    timeout: float,
    warm_up: list[Applicant] = (),
) -> None:
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    try:
        if warm_up:  # whole sessions, two at a time, into a throw-away Phase
            scratch = Phase(phase.name)
            for pair in (warm_up[i : i + 2] for i in range(0, len(warm_up), 2)):
                await asyncio.gather(
                    *(
                        run_session(scratch, server.base_url, a, pdf, connector, timeout)
                        for a in pair
                    )
                )
            if scratch.errors:
                phase.examples.extend(scratch.examples)
        n = len(applicants)
        cpu0, client0 = server.cpu_seconds(), time.process_time()
        postgres0, machine0 = _servers.command_cpu("postgres"), _servers.machine_cpu()
        t0 = time.perf_counter()

        async def later(i: int, applicant: Applicant) -> None:
            await asyncio.sleep(max(0.0, t0 + i * window / n - time.perf_counter()))
            await run_session(phase, server.base_url, applicant, pdf, connector, timeout)

        await asyncio.gather(*(later(i, a) for i, a in enumerate(applicants)))
        # += : with --rounds a phase runs in several slices, alternating with the other.
        phase.wall += time.perf_counter() - t0
        phase.server_cpu += server.cpu_seconds() - cpu0
        phase.client_cpu += time.process_time() - client0
        phase.postgres_cpu += _servers.command_cpu("postgres") - postgres0
        machine1 = _servers.machine_cpu()
        busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
        phase.machine_busy_cpu += busy
        phase.machine_total_cpu += total
        total = phase.machine_total_cpu
        phase.machine_busy = 100.0 * phase.machine_busy_cpu / total if total else 0.0
    finally:
        await connector.close()


def check_database(world: dict[str, list[Applicant]], phases: dict[str, Phase]) -> None:
    from workflow.choices import ApplicationState
    from workflow.models import Application

    for conn in connections.all():
        conn.close()
    for name, phase in phases.items():
        ids = [a.application for a in world[name]]
        submitted = Application.objects.filter(pk__in=ids, state=ApplicationState.SUBMITTED).count()
        if submitted != len(ids):
            phase.errors["not_submitted_in_db"] += len(ids) - submitted
        phase.submitted_in_db = submitted


# --- The figures ---------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary(records: list[Record]) -> dict[str, float]:
    ms = [r.seconds * 1000 for r in records]
    if not ms:
        return {}
    return {
        "count": len(ms),
        "mean": statistics.fmean(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms),
    }


def report(phase: Phase, n: int) -> dict[str, dict[str, float]]:
    p = phase.name
    records = phase.records
    by_name: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_name[record.name].append(record)
    duration = max(phase.wall, 1e-9)  # from the first arrival to the last answer
    print(f"{p}_sessions {n} sessions")
    print(f"{p}_sessions_completed {phase.sessions_done} sessions")
    print(f"{p}_submitted_in_db {phase.submitted_in_db} applications")
    print(f"{p}_requests {len(records)} requests")
    print(f"{p}_duration {duration:.1f} s")
    print(f"{p}_throughput {len(records) / duration:.1f} req/s")
    print(f"{p}_session_throughput {phase.sessions_done / duration:.2f} sessions/s")
    if phase.session_seconds:
        print(f"{p}_session_p50 {percentile(phase.session_seconds, 50) * 1000:.0f} ms")
        print(f"{p}_session_p95 {percentile(phase.session_seconds, 95) * 1000:.0f} ms")
    groups = {
        "all": records,
        "without_login": [r for r in records if r.name not in LOGIN_NAMES],
        **{name: by_name[name] for name in NAMES},
    }
    figures = {}
    for group, chosen in groups.items():
        figures[group] = stats = summary(chosen)
        for key in ("p50", "p95", "p99", "max", "mean"):
            if key in stats:
                print(f"{p}_{group}_{key} {stats[key]:.1f} ms")
    errors = sum(phase.errors.values())
    print(f"{p}_errors {errors} errors")
    for kind, count in sorted(phase.errors.items()):
        print(f"{p}_error_{kind} {count} errors")
    print(f"{p}_server_cpu {phase.server_cpu:.1f} s")
    print(f"{p}_server_cpu_per_session {phase.server_cpu / max(n, 1) * 1000:.0f} ms")
    print(f"{p}_client_cpu {phase.client_cpu:.1f} s")
    print(f"{p}_postgres_cpu {phase.postgres_cpu:.1f} s")
    other = phase.machine_busy_cpu - phase.server_cpu - phase.client_cpu - phase.postgres_cpu
    print(f"{p}_other_processes_cpu {max(other, 0.0):.1f} s")
    print(f"{p}_machine_busy {phase.machine_busy:.0f} %")
    for example in phase.examples:
        print(f"# {p} example error: {example}")
    figures["_throughput"] = {"value": len(records) / duration}
    return figures


def ratios(workflow: dict, bare: dict) -> None:
    for group in ("all", "without_login", *NAMES):
        w, b = workflow.get(group), bare.get(group)
        if not w or not b:
            continue
        for key in ("p95", "mean"):
            print(f"ratio_{group}_{key} {w[key] / b[key]:.2f} x")
    w, b = workflow["_throughput"]["value"], bare["_throughput"]["value"]
    print(f"ratio_throughput {w / b:.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=300, help="sessions per phase")
    parser.add_argument("--window", type=float, default=120.0, help="arrivals spread, s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pdf-mb", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, s")
    parser.add_argument("--only", choices=PHASES, help="run one phase only")
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternate the phases in R slices (fairer ratio)"
    )
    args = parser.parse_args()
    with _servers.throwaway_database("test_jiebang_crush"):
        run(args)


def run(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    world = build_world(args.n)
    pdf = make_pdf(args.pdf_mb)
    print(f"setup {time.perf_counter() - t0:.1f} s")
    print(f"password_hasher {hasher_name()}")
    print(f"pdf_size {len(pdf) / 1024 / 1024:.2f} MB")
    print(f"workers {args.workers}")
    print(f"window {args.window:.0f} s")
    print(f"rounds {args.rounds} rounds")
    print(f"cpus {os.cpu_count()}")
    print(f"load_average_1min {os.getloadavg()[0]:.2f} runnable")
    server = _servers.Server(
        args.workers,
        MEDIA,
        settings="benchmarks.crush_settings",
    )
    phases = {name: Phase(name) for name in PHASES if args.only in (None, name)}
    try:
        server.start()
        # --rounds R: each phase in R slices of N/R sessions over window/R seconds (the same
        # arrival rate), the phases alternating, so that both meet the same background load.
        for r in range(args.rounds):
            for name, phase in phases.items():
                warm_up = world[name][:WARM_UP_SESSIONS] if r == 0 else []
                part = world[name][WARM_UP_SESSIONS:][r :: args.rounds]
                window = args.window * len(part) / args.n
                asyncio.run(run_phase(phase, server, part, pdf, window, args.timeout, warm_up))
    finally:
        server.stop()
    check_database({k: world[k][WARM_UP_SESSIONS:] for k in phases}, phases)
    figures = {name: report(phase, args.n) for name, phase in phases.items()}
    if len(figures) == 2:
        ratios(figures["workflow"], figures["bare"])
    errors = sum(sum(p.errors.values()) for p in phases.values())
    print(f"errors {errors} errors")
    verdicts(errors, figures)


def verdicts(errors: int, figures: dict[str, dict]) -> None:
    """The issue's targets: 0 errors, workflow p95 under 300 ms, workflow / bare p95 <= 1.3."""

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"target_errors {errors} errors {verdict(errors == 0)} (target 0)")
    workflow, bare = figures.get("workflow"), figures.get("bare")
    if workflow:
        for group in ("all", "without_login"):
            p95 = workflow[group]["p95"]
            print(f"target_p95_{group} {p95:.1f} ms {verdict(p95 < 300)} (target under 300)")
    if workflow and bare:
        for group in ("all", "without_login"):
            ratio = workflow[group]["p95"] / bare[group]["p95"]
            ok = verdict(ratio <= 1.3)
            print(f"target_ratio_{group} {ratio:.2f} x {ok} (target at most 1.3)")


if __name__ == "__main__":
    main()
