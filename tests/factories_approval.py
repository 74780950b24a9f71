"""Builders for the approval aids (issue 8): 会签/或签 rounds, 常用意见, opinion histories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from tests.factories import DepartmentFactory, force_state, member, published_call
from workflow import audit
from workflow.choices import CallState, CountersignMode, Role
from workflow.models import Acceptance, Agreement, Application, AuditEvent, ToleranceCase
from workflow.models.countersign import Countersign, CountersignRound
from workflow.models.phrases import FrequentPhrase
from workflow.services.countersign import countersign_open, countersign_set_mode, countersign_sign


class CountersignCall:
    """A call in its public notice (state forced: set-up only) with `departments` member
    departments, one approver each, office staff and a director; the mode set through the
    service."""

    def __init__(
        self, departments: int = 3, mode: str = CountersignMode.ALL, call: Any = None
    ) -> None:
        self.call = call or published_call()
        if self.call.state != CallState.PUBLICITY:
            force_state(self.call, CallState.PUBLICITY)
        self.staff = member(Role.OFFICE_STAFF, self.call.office)
        self.director = member(Role.OFFICE_DIRECTOR, self.call.office)
        self.departments = [DepartmentFactory(office=self.call.office) for _ in range(departments)]
        self.approvers = [member(Role.DEPARTMENT_APPROVER, d) for d in self.departments]
        self.round: CountersignRound | None = None
        if mode != self.call.countersign_mode:
            self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        self.call = countersign_set_mode(call=self.call, by=self.staff, mode=mode)

    def open(self) -> CountersignRound:
        self.round = countersign_open(call=self.call, by=self.staff)
        return self.round

    def countersign(self, index: int) -> Countersign:
        return Countersign.objects.get(round=self.round, department=self.departments[index])

    def sign(self, index: int, agree: bool = True, opinion: str = "同意。") -> Countersign:
        return countersign_sign(
            countersign=self.countersign(index),
            by=self.approvers[index],
            agree=agree,
            opinion=opinion,
        )

    def states(self) -> list[str]:
        return list(
            Countersign.objects.filter(round=self.round)
            .order_by("department_id")
            .values_list("state", flat=True)
        )

    def round_state(self) -> str:
        self.round.refresh_from_db()
        return self.round.state


def phrases_for(user: Any, *texts: str) -> list[FrequentPhrase]:
    """Phrases of `user` in the given order (set-up only: straight into the table)."""
    start = FrequentPhrase.objects.filter(user=user).count()
    return [
        FrequentPhrase.objects.create(user=user, text=text, position=start + n)
        for n, text in enumerate(texts)
    ]


def recorded(
    obj: Any,
    action: str,
    *,
    by: Any = None,
    role: str = "",
    reason: str = "",
    diff: dict | None = None,
) -> AuditEvent:
    """An audit event about `obj`, as a service of another area would write it."""
    with transaction.atomic():
        return audit.record(action=action, obj=obj, by=by, role=role, reason=reason, diff=diff)


def agreement_of(application: Application, staff: Any = None) -> Agreement:
    return Agreement.objects.create(
        application=application,
        targets="建设实训车间两处。",
        term_years=3,
        starts_on=dt.date(2026, 1, 1),
        budget_total=Decimal("500.00"),
        drafted_by=staff,
    )


def acceptance_of(application: Application, number: int = 1) -> Acceptance:
    return Acceptance.objects.create(
        application=application,
        number=number,
        completion_report="已完成建设。",
        declared_at=timezone.now(),
    )


def tolerance_case_of(application: Application) -> ToleranceCase:
    return ToleranceCase.objects.create(
        application=application,
        shortfall="年培训人数未达标。",
        reasons="受疫情影响。",
        requested_at=timezone.now(),
    )
