"""Fuzz the REST API with schemathesis against its own OpenAPI schema, as every role (issue 7).

For each role (anonymous, applicant, expert, office staff, office director, department
approver, supervisor) every operation of the schema gets generated requests, valid ones
(positive) and invalid ones (negative), sent in-process to a WSGI handler of the project with
the role's token (the security parameters are not generated: the token is the role's). Each
response must not be a 5xx, must have a documented status code and content type and match the
documented body, and a negative case must be refused (negative_data_rejection: no false alarm
was left; each alarm it raised was a real leniency, fixed). The ids in the paths are drawn half
from the objects of a small world every role can see something of, half at random, and each
role must have reached some operations with a 2xx (MUST_REACH), so the fuzzing gets past the
401/403/404s. Stateful links are not used.

Everything runs in the test's one database transaction (pytest-django); the cases may change
the world (submit, withdraw, publish...), which is fine: each still must be answered right.

Hypothesis is derandomized (a fixed seed for each test), so CI does not flake on a new random
find; the shrink phase is kept so a failure is reported with a minimal input. The run is
marked `fuzz`; run it on its own, in one process, so the total can be checked:

    .venv/bin/pytest -m fuzz -p no:xdist tests/api/test_schemathesis.py

`FUZZ_SCALE` (default 1) multiplies the examples per operation; below 1 it is a quick run and
the total is not checked.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import (
    DepartmentFactory,
    OfficeFactory,
    OrganisationFactory,
    complete_application,
    member,
    published_call,
    review_call,
    review_panel,
)
from workflow.choices import Role
from workflow.models import Attachment, Membership

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

ROLES = (
    "anonymous",
    "applicant",
    "expert",
    "office_staff",
    "office_director",
    "department_approver",
    "supervisor",
)
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
# Examples per operation and generation mode, for each role: 7 roles x (30 operations positive
# + 29 negative) x 28 is about 11,500 cases, a few operations running out of distinct ones early.
EXAMPLES = max(1, round(28 * SCALE))
MINIMUM_CASES = 10_000

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

CASES: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()
# Operations that answered a 2xx, by role: the fuzzing got past the 401/403/404s.
REACHED: dict[str, set[str]] = {role: set() for role in ROLES}
# What each role must have reached with a 2xx (the world gives each something to see).
MUST_REACH = {
    "anonymous": {"GET /api/v1/calls/", "GET /api/v1/calls/{id}/"},
    "applicant": {
        "GET /api/v1/applications/",
        "GET /api/v1/applications/{id}/",
        "GET /api/v1/applications/{id}/attachments/",
        "GET /api/v1/applications/{id}/attachments/{attachment_pk}/",
    },
    "expert": {"GET /api/v1/assignments/{id}/", "GET /api/v1/assignments/{id}/sheet/"},
    "office_staff": {"GET /api/v1/office/calls/", "GET /api/v1/office/applications/"},
    "office_director": {"GET /api/v1/office/calls/", "GET /api/v1/office/applications/"},
    "department_approver": {"GET /api/v1/tasks/"},
    "supervisor": {"GET /api/v1/applications/{id}/attachments/"},
}


@pytest.fixture(scope="module")
def api_schema():
    """The schema as /api/schema/ serves it, loaded by schemathesis, calling the project
    in-process through a WSGI handler (the project itself is served by ASGI)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_dict(raw, config=config)
    schema.app = WSGIHandler()
    return schema


@pytest.fixture
def world() -> dict[str, Any]:
    """Something for every role to see: an open call and a call under review of one office,
    an applicant's draft (with its attachments) and a submitted application, an expert with
    an accepted invitation and an open score sheet, the office's staff and director, a
    department approver and a supervisor."""
    call, staff, under_review = review_call(applications=2)
    office = call.office
    _draw, sheets = review_panel(call, under_review, experts=1)
    expert = next(iter(sheets))
    open_call = published_call(office=office)
    organisation = OrganisationFactory()
    applicant = member(Role.APPLICANT, organisation)
    draft = complete_application(call=open_call, organisation=organisation)
    # The applicant also has an application under review (the first one of the review call).
    Membership.objects.create(
        user=applicant, role=Role.APPLICANT, organisation=under_review[0].organisation
    )
    users = {
        "applicant": applicant,
        "expert": expert.user,
        "office_staff": staff,
        "office_director": member(Role.OFFICE_DIRECTOR, office),
        "department_approver": member(Role.DEPARTMENT_APPROVER, DepartmentFactory(office=office)),
        "supervisor": member(Role.SUPERVISOR, OfficeFactory()),
    }
    objects = {call.pk, open_call.pk, draft.pk, *(a.pk for a in under_review)}
    objects |= {sheet.pk for rows in sheets.values() for sheet in rows}
    attachments = Attachment.objects.filter(application__in=[draft, *under_review])
    paths = [{"id": pk} for pk in sorted(objects)]
    paths += [{"id": a.application_id, "attachment_pk": a.pk} for a in attachments]
    return {"users": users, "paths": paths}


def _strategy(operation: Any, mode: GenerationMode, paths: list[dict[str, int]]) -> Any:
    """Cases with random path ids, and as many with the ids of the world's objects (every
    object for `{id}`, an application and its own attachment for `{attachment_pk}`)."""
    random = operation.as_strategy(generation_mode=mode)
    names = {parameter.name for parameter in operation.path_parameters}
    if not names:
        return random
    known = [
        operation.as_strategy(generation_mode=mode, path_parameters=ids)
        for ids in paths
        if set(ids) == names
    ]
    return st.one_of(random, st.one_of(known)) if known else random


def _negatable(operation: Any) -> bool:
    """Whether negative cases can be made: not for an operation without parameters or body
    (GET tasks/; the token is not generated)."""
    return bool(len(operation.path_parameters) or len(operation.query) or len(operation.body))


def _fuzz(schema: Any, role: str, headers: dict[str, str], paths: list[dict[str, int]]) -> None:
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        modes = [GenerationMode.POSITIVE]
        if _negatable(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=_strategy(operation, mode, paths))
            def run(case: Any) -> None:
                CASES[role] += 1
                response = case.call(headers=headers)
                if 200 <= response.status_code < 300:
                    REACHED[role].add(case.operation.label)
                case.validate_response(response, checks=CHECKS)

            run()
    SECONDS[role] += time.perf_counter() - started


@pytest.mark.parametrize("role", ROLES)
def test_fuzz_as(role, api_schema, world):
    headers = {"Accept-Language": "en"}
    user = world["users"].get(role)
    if user is not None:
        headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    _fuzz(api_schema, role, headers, world["paths"])
    assert CASES[role] > 0
    assert MUST_REACH[role] <= REACHED[role], MUST_REACH[role] - REACHED[role]


def test_fuzz_total():
    """At least 10,000 cases in the full run (every role, in this process)."""
    total, seconds = sum(CASES.values()), sum(SECONDS.values())
    print(f"FUZZ cases={total} seconds={seconds:.1f}")
    if set(CASES) != set(ROLES) or SCALE < 1:
        pytest.skip("not the full fuzz run: run `pytest -m fuzz -p no:xdist` with FUZZ_SCALE unset")
    assert total >= MINIMUM_CASES
