"""Public reads: published calls, the public notice, the award register. Never drafts, scores
or expert names."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import (
    CallFactory,
    complete_application,
    force_state,
    published_call,
    submit_at,
)
from workflow.choices import ApplicationState, CallState, Level
from workflow.models import Award, Publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_call_list_shows_published_calls_but_never_drafts_or_cancelled(api):
    shown = published_call(title="已发布榜单")
    CallFactory(title="草稿榜单")
    cancelled = published_call(title="已撤销榜单")
    force_state(cancelled, CallState.CANCELLED)
    response = api.get(reverse("api:call_list"))
    assert response.status_code == 200
    titles = [c["title"] for c in response.json()["results"]]
    assert titles == [shown.title]
    assert response.json()["results"][0]["office"] == shown.office.name


def test_call_detail_of_a_draft_is_404(api):
    draft = CallFactory()
    call = published_call()
    assert api.get(reverse("api:call_detail", args=[draft.pk])).status_code == 404
    response = api.get(reverse("api:call_detail", args=[call.pk]))
    assert response.status_code == 200
    assert response.json()["state"] == CallState.PUBLISHED


def _notice(n_winners: int = 1, call=None):
    call = call or published_call()
    winners = []
    for n in range(n_winners):
        application = complete_application(call=call, title=f"公示项目{n}")
        force_state(application, ApplicationState.SHORTLISTED)
        winners.append(application)
    force_state(call, CallState.PUBLICITY)
    now = timezone.now()
    Publicity.objects.create(
        call=call, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=5)
    )
    return call, winners


def test_public_notice_shows_organisation_and_title_only(api):
    call, (winner,) = _notice()
    loser = complete_application(call=call, title="未入选项目")
    force_state(loser, ApplicationState.NOT_SELECTED)
    response = api.get(reverse("api:notice_list"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["call"] == call.pk
    assert row["winners"] == [{"organisation": winner.organisation.name, "project": winner.title}]


def test_public_notice_never_leaks_scores_or_expert_names(api):
    from tests.factories import review_call, review_panel

    call, _staff, (application,) = review_call(applications=1)
    _draw, sheets = review_panel(call, [application], experts=1)
    ((sheet,),) = sheets.values()
    sheet.expert.name = "保密专家甲"
    sheet.expert.save()
    submit_at(sheet, "0.9")
    force_state(application, ApplicationState.SHORTLISTED)
    force_state(call, CallState.PUBLICITY)
    now = timezone.now()
    Publicity.objects.create(
        call=call, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=5)
    )
    sheet.refresh_from_db()
    body = api.get(reverse("api:notice_list")).content.decode()
    assert application.title in body
    assert "保密专家甲" not in body
    assert "total" not in body and "score" not in body
    assert str(sheet.total) not in body


def test_award_register(api):
    application = complete_application()
    force_state(application, ApplicationState.AWARDED)
    Award.objects.create(
        application=application,
        level=Level.PROVINCE,
        number="晋产教平台〔2025〕001号",
        plaque_title="省级产教融合重大平台载体",
        awarded_on=dt.date(2025, 6, 1),
    )
    response = api.get(reverse("api:award_list"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row == {
        "number": "晋产教平台〔2025〕001号",
        "level": "province",
        "plaque_title": "省级产教融合重大平台载体",
        "organisation": application.organisation.name,
        "project": application.title,
        "date": "2025-06-01",
        "state": "active",
    }


def _count(api, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_public_lists_run_a_constant_number_of_queries(api):
    for _n in range(2):
        published_call()
    _notice(n_winners=2)
    few = {name: _count(api, reverse(name)) for name in ("api:call_list", "api:notice_list")}
    for _n in range(8):
        published_call()
    for _n in range(8):
        _notice(n_winners=3)
    many = {name: _count(api, reverse(name)) for name in ("api:call_list", "api:notice_list")}
    assert few == many


def test_award_register_runs_a_constant_number_of_queries(api):
    def award(n: int) -> None:
        application = complete_application()
        Award.objects.create(
            application=application,
            level=Level.PROVINCE,
            number=f"晋产教平台〔2025〕{n:03d}号",
            plaque_title="省级产教融合重大平台载体",
            awarded_on=dt.date(2025, 6, 1),
        )

    for n in range(2):
        award(n)
    few = _count(api, reverse("api:award_list"))
    for n in range(2, 10):
        award(n)
    assert _count(api, reverse("api:award_list")) == few
