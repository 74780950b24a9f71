"""已建成直接授牌 over HTTP: an already-built base applies to a direct-award call, is evaluated,
noticed and countersigned like any other, is approved by the director, and the office awards the
plaque straight away: no task agreement, no construction, no acceptance review."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from viewflow.workflow.status import PROCESS

from processes import engine
from tests.e2e.journey import (
    START,
    agreement_post,
    apply,
    assert_inboxes,
    audit_verifies,
    certificate_downloads,
    departments_agree,
    director_approves,
    director_decides_call,
    error_messages,
    flows_of,
    inbox,
    office_awards,
    office_call_action,
    office_opens_countersign,
    office_starts_publicity,
    public_sees_plaque,
    select,
    states,
    url,
    world,
)
from workflow.choices import ApplicationState, CallRoute, CallState
from workflow.models import Acceptance, Agreement

pytestmark = pytest.mark.django_db

A = ApplicationState
DONE, RUNNING = PROCESS.DONE, PROCESS.NEW


def test_a_built_base_is_evaluated_countersigned_approved_and_awarded_directly():
    with time_machine.travel(START, tick=True) as traveller:
        w = world(route=CallRoute.DIRECT_AWARD, organisations=1, departments=2)
        staff, director = w.staff, w.director
        (applicant,) = w.applicants
        assert office_call_action(w, "publish").state == CallState.PUBLISHED
        base = apply(w, applicant, "已建成的新能源汽车产教融合实训基地")

        # Evaluated by a drawn panel, ranked, noticed and countersigned like any call.
        w.jump(traveller, w.call.closes_at + dt.timedelta(hours=1))
        select(w, [base], {base.pk: "0.85"})
        assert states(base) == [A.SHORTLISTED]
        publicity = office_starts_publicity(w)
        w.jump(traveller, publicity.ends_at + dt.timedelta(minutes=1))
        engine.tick()  # the scheduler: the notice period is over
        assert_inboxes(w, {staff: ["open_countersign"]})
        office_opens_countersign(w)
        assert_inboxes(w, {approver: ["countersign"] for approver in w.approvers})
        departments_agree(w)
        assert_inboxes(w, {director: ["director_approval"]})

        # The director's approval starts the direct award, not the landing.
        director_approves(w, [base])
        assert flows_of(base) == {"DirectAwardFlow": RUNNING}
        assert_inboxes(w, {director: ["director_approval"], staff: ["award"]})
        (row,) = w.client(staff).get(url("task_list")).context["rows"]
        assert row.url == url("office_acceptance", base.pk)
        assert director_decides_call(w).state == CallState.DECIDED
        assert flows_of(w.call) == {"SelectionFlow": DONE}

        # No task agreement: the office's landing pages do not know the base.
        client = w.client(staff)
        edit = url("agreement_edit", base.pk)
        assert client.get(edit).status_code == 404
        assert client.post(edit, agreement_post(dt.date(2026, 4, 1))).status_code == 404
        assert client.post(url("agreement_send", base.pk)).status_code == 404
        assert base not in client.get(url("office_landing")).context["applications"]
        assert not Agreement.objects.filter(application=base).exists()
        # Nor an acceptance review: there is nothing to declare complete.
        refused = w.client(applicant).post(
            url("acceptance_declare", base.pk), {"completion_report": "基地已建成并运行三年。"}
        )
        assert refused.status_code == 302 and error_messages(refused)
        assert states(base) == [A.APPROVED]

        # 授牌 straight away, from the office's acceptance page.
        listing = client.get(url("office_acceptance_list")).context["applications"]
        assert base in listing
        award = office_awards(w, base)
        assert states(base) == [A.AWARDED]
        assert award.number
        assert_inboxes(w, {})
        assert inbox(w, staff) == []
        public_sees_plaque(award)
        certificate_downloads(w, applicant, award)

    assert flows_of(base) == {"DirectAwardFlow": DONE}
    assert not Acceptance.objects.filter(application=base).exists()
    assert not Agreement.objects.filter(application=base).exists()
    audit_verifies()
