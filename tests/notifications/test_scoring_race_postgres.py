"""Experts submitting the panel's last sheets at the same instant, on real PostgreSQL: the office
is told exactly once that the panel has finished (the check runs under the audit head lock)."""

from collections import Counter

import pytest

from notifications.kinds import Kind
from notifications.models import Notification
from notifications.recipients import office_staff_of
from tests.factories import marks_at, review_call, review_panel
from tests.workflow.test_races_postgres import race
from workflow.services.scoring import score_sheet_save_draft, score_sheet_submit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
EXPERTS = 8


def test_the_last_sheets_submitted_together_tell_the_office_once():
    call, _staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=EXPERTS)
    last = [rows[0] for rows in sheets.values()]
    marks = marks_at(call, "0.8", "依据申报材料评分")
    # Drafts first: the submissions then change no mark, so the first lock each takes on the
    # audit head is the transition's record, the latest moment a check could be misplaced.
    for sheet in last:
        score_sheet_save_draft(assignment=sheet, by=sheet.expert.user, marks=marks)
    outcomes = race([lambda s=s: score_sheet_submit(assignment=s, by=s.expert.user) for s in last])
    assert outcomes == Counter({"won": EXPERTS})
    told = Notification.objects.filter(kind=Kind.OFFICE_PANEL_SCORED)
    assert sorted(told.values_list("recipient_id", flat=True)) == office_staff_of(call.office_id)
