"""Builders for review tests: a call under expert review and an expert pool, made through the
real services."""

from __future__ import annotations

from tests.factories import (
    OrganisationFactory,
    UserFactory,
    complete_application,
    force_state,
    member,
    published_call,
)
from workflow.choices import CallState, Role
from workflow.models import Call, Expert
from workflow.services.applications import application_accept, application_submit
from workflow.services.calls import call_start_review


def call_under_review(n_applications: int = 3) -> tuple[Call, list, object]:
    """A call whose applications passed formal checks and are under review; returns the call,
    the applications and an office staff user."""
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    applications = []
    for _ in range(n_applications):
        application = complete_application(call=call)
        applicant = member(Role.APPLICANT, application.organisation)
        application_submit(application=application, by=applicant)
        application_accept(application=application, by=staff)
        applications.append(application)
    force_state(call, CallState.CLOSED)
    call_start_review(call=call, by=staff)
    for application in applications:
        application.refresh_from_db()
    return call, applications, staff


def make_expert(employer=None, sectors=("新能源汽车",), region="太原市", **fields) -> Expert:
    user = UserFactory()
    employer = employer or OrganisationFactory()
    return Expert.objects.create(
        user=user,
        name=fields.pop("name", f"专家{user.pk}"),
        employer=employer,
        title=fields.pop("title", "正高级工程师"),
        years_of_work=fields.pop("years_of_work", 20),
        sectors=list(sectors),
        region=region,
        **fields,
    )


def expert_pool(n: int, **kwargs) -> list[Expert]:
    return [make_expert(**kwargs) for _ in range(n)]
