"""Set-up for the publicity tests: a call after review, with proposed winners in notice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tests.factories import (
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    published_call,
)
from workflow.choices import ApplicationState, CallState, Role
from workflow.models import Application, Call, Publicity
from workflow.services.publicity import objection_file, publicity_open

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A Wednesday before National Day: the notice runs across the seeded 2026 holidays.
NOTICE_START = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
FACTS = "该单位申报材料中所列实训设备并未实际购置，与财务凭证不符，附采购合同编号供核查。"


@dataclass
class Notice:
    call: Call
    winner: Application
    runner_up: Application
    staff: object
    director: object
    applicant: object
    publicity: Publicity | None = None


def reviewed_call() -> Notice:
    """A call under review whose applications all have a review outcome."""
    call = published_call()
    winner = complete_application(call=call, organisation=OrganisationFactory())
    runner_up = complete_application(call=call, organisation=OrganisationFactory())
    force_state(call, CallState.UNDER_REVIEW)
    force_state(winner, ApplicationState.SHORTLISTED)
    force_state(runner_up, ApplicationState.NOT_SELECTED)
    return Notice(
        call=call,
        winner=winner,
        runner_up=runner_up,
        staff=member(Role.OFFICE_STAFF, call.office),
        director=member(Role.OFFICE_DIRECTOR, call.office),
        applicant=member(Role.APPLICANT, winner.organisation),
    )


def call_in_notice() -> Notice:
    notice = reviewed_call()
    notice.publicity = publicity_open(call=notice.call, by=notice.staff)
    notice.call.refresh_from_db()
    return notice


def person_objection(application: Application, by=None, **overrides):
    fields = {
        "objector_kind": "person",
        "person_name": "赵六",
        "phone": "13912345678",
        "facts": FACTS,
    }
    fields.update(overrides)
    return objection_file(application=application, by=by, **fields)


def other_office_staff():
    return member(Role.OFFICE_STAFF, OfficeFactory())


def now() -> dt.datetime:
    return timezone.now()
