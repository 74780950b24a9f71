"""Expert review figures. Prints one `name value unit` line per figure.

Usage: .venv/bin/python benchmarks/review.py [N_APPLICATIONS]   (DATABASE_URL selects PostgreSQL)

Runs on a throw-away test database. Each figure is one function in BENCHMARKS taking the
number of applications and returning its lines; add another (the draw) by writing a function
and listing it there.

- aggregation: 2,000 applications × 7 experts × 40 judged indicators (plus 4 quantitative and
  one veto item), every sheet submitted and every value verified; times `ranking_compute`
  (aggregate, dispersion check, Shaoxing scoring, ranking with tie-breaks, shortlist proposal):
  the median and best of five runs, and its SQL queries; then counts them again for a tenth
  of the applications, to show the count does not grow with them.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

EXPERTS = 7
LEVEL1 = 5
PER_LEVEL1 = 8  # 5 × 8 = 40 judged indicators of 2 points each
QUANTITATIVE = 4  # of 5 points each
TARGET_SECONDS = 0.5
RUNS = 5  # the time reported is the median of these runs


def bench_rubric_specs():
    from workflow.choices import IndicatorKind
    from workflow.rules.rubric import IndicatorSpec

    specs = []
    for a in range(1, LEVEL1 + 1):
        specs.append(IndicatorSpec(str(a), f"一级指标{a}", 1, Decimal(2 * PER_LEVEL1), position=a))
        for b in range(1, PER_LEVEL1 + 1):
            specs.append(
                IndicatorSpec(
                    f"{a}.{b}", f"评审要点{a}.{b}", 2, Decimal(2), parent=str(a), position=b
                )
            )
    q = str(LEVEL1 + 1)
    specs.append(IndicatorSpec(q, "定量指标", 1, Decimal(5 * QUANTITATIVE), position=LEVEL1 + 1))
    for b in range(1, QUANTITATIVE + 1):
        specs.append(
            IndicatorSpec(
                f"{q}.{b}",
                f"定量{b}",
                2,
                Decimal(5),
                kind=IndicatorKind.QUANTITATIVE,
                parent=q,
                position=b,
                lower_is_better=b == QUANTITATIVE,
            )
        )
    specs.append(
        IndicatorSpec("V", "一票否决", 1, Decimal(0), kind=IndicatorKind.VETO, position=99)
    )
    return specs


def build_review(n: int, seed: int = 1):
    """A call under review with n applications, a 7-expert panel that submitted every sheet,
    and every quantitative value verified. Bulk inserts: this is set-up, not the subject."""
    from django.utils import timezone

    from tests.factories import CallFactory, UserFactory, force_state
    from workflow.choices import ApplicationState, AssignmentState, CallState, DrawState
    from workflow.models import (
        Application,
        Assignment,
        Draw,
        Expert,
        Invitation,
        Organisation,
        Score,
        VerifiedValue,
    )
    from workflow.services.rubrics import rubric_create

    rng = random.Random(seed)
    call = CallFactory(quota=10)
    force_state(call, CallState.UNDER_REVIEW)
    rubric = rubric_create(name="基准评分细则", specs=bench_rubric_specs(), by=None, call=call)
    indicators = list(rubric.indicators.all())
    judged = [i for i in indicators if i.kind == "judged" and i.level == 2]
    verifiable = [i for i in indicators if i.kind in ("quantitative", "veto")]
    prefix = f"基准{call.pk}-"
    Organisation.objects.bulk_create(
        Organisation(name=f"{prefix}{k}", applicant_type="university", region="太原市")
        for k in range(n)
    )
    organisations = list(Organisation.objects.filter(name__startswith=prefix).order_by("id"))
    now = timezone.now()
    Application.objects.bulk_create(
        Application(
            call=call,
            organisation=org,
            title=f"项目{k}",
            state=ApplicationState.UNDER_REVIEW,
            submitted_at=now,
        )
        for k, org in enumerate(organisations)
    )
    applications = list(call.applications.order_by("id"))
    staff = UserFactory()
    draw = Draw.objects.create(call=call, mode="panel", created_by=staff)
    force_state(draw, DrawState.DRAWN)
    invitations = []
    for k in range(EXPERTS):
        user = UserFactory()
        expert = Expert.objects.create(
            user=user, name=f"专家{k}", title="教授", years_of_work=10, sectors=[], region="太原"
        )
        invitations.append(
            Invitation.objects.create(draw=draw, expert=expert, position=k + 1, state="accepted")
        )
    # Two levels (sheet totals 60 or 70: within the dispersion margin), so totals tie and the
    # tie-break query runs. The total is fixed on the sheet as submission does.
    bases = [
        rng.choice((Decimal("1.50"), Decimal("1.75"))) for _ in applications for _ in invitations
    ]
    sheets = Assignment.objects.bulk_create(
        (
            Assignment(
                invitation=inv,
                expert_id=inv.expert_id,
                application=a,
                state=AssignmentState.SUBMITTED,
                submitted_at=now,
                total=base * len(judged),
            )
            for (a, inv), base in zip(
                ((a, inv) for a in applications for inv in invitations), bases, strict=True
            )
        ),
        batch_size=2000,
    )
    batch = []
    for sheet, base in zip(sheets, bases, strict=True):
        for i in judged:
            batch.append(Score(assignment_id=sheet.pk, indicator=i, value=base))
        if len(batch) >= 20000:
            Score.objects.bulk_create(batch)
            batch = []
    Score.objects.bulk_create(batch)
    VerifiedValue.objects.bulk_create(
        (
            VerifiedValue(
                application=a,
                indicator=i,
                verified=Decimal(0 if i.kind == "veto" else rng.randint(0, 500)),
                verified_by=staff,
            )
            for a in applications
            for i in verifiable
        ),
        batch_size=5000,
    )
    return call, len(sheets) * len(judged)


def bench_aggregation(n: int) -> list[str]:
    from workflow.services.ranking import ranking_compute

    call, n_scores = build_review(n)
    ranking_compute(call=call)  # warm caches (translations, content types)
    times = []
    for _run in range(RUNS):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            ranking = ranking_compute(call=call)
        times.append(time.perf_counter() - start)
    assert len(ranking.rows) == n and ranking.is_final, ranking.problems[:3]

    small_call, _ = build_review(max(n // 10, 2), seed=2)
    with CaptureQueriesContext(connection) as small:
        ranking_compute(call=small_call)
    return [
        f"review_vendor {connection.vendor} -",
        f"review_aggregate_applications {n} applications",
        f"review_aggregate_scores {n_scores} scores",
        f"review_aggregate_time {statistics.median(times):.3f} s",
        f"review_aggregate_time_best {min(times):.3f} s",
        f"review_aggregate_target {TARGET_SECONDS} s",
        f"review_aggregate_queries {len(ctx.captured_queries)} queries",
        f"review_aggregate_queries_small {len(small.captured_queries)} queries",
    ]


def bench_draw(n: int) -> list[str]:
    """Draw and assignment figures (benchmarks/draw.py): 2,000 applications × 5 experts from a
    5,000-expert pool, load cap 3, about 2% excluded pairs. Pure functions, no database."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import draw

    return draw.lines()


BENCHMARKS: list[Callable[[int], list[str]]] = [bench_aggregation, bench_draw]


def main(n: int) -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for bench in BENCHMARKS:
            for line in bench(n):
                print(line, flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
