"""A new call with its rubric in one transaction (call_create_from_template), copying a rubric
from an earlier call (rubric_copy), and whether a rubric is frozen (rubric_is_frozen)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import CallFactory, OfficeFactory, force_state, member
from workflow.choices import CallState, Role
from workflow.errors import Invalid, NotPermitted
from workflow.models import AuditEvent, Call, Rubric
from workflow.rules.rubric import IndicatorSpec
from workflow.services.calls import call_create_from_template
from workflow.services.rubrics import rubric_copy, rubric_create, rubric_is_frozen, specs_of

pytestmark = pytest.mark.django_db

ONE_ROW = [IndicatorSpec(code="1", name="建设方案", level=1, weight=Decimal(100))]


def terms(**overrides) -> dict:
    now = timezone.now()
    values = {
        "title": "智能制造实训基地",
        "sector": "智能制造",
        "level": "province",
        "description": "建设实训基地。",
        "functions": ["training"],
        "eligible_applicant_types": ["vocational_school"],
        "allowed_modes": ["school_led"],
        "quota": 2,
        "opens_at": now,
        "closes_at": now + dt.timedelta(days=30),
    }
    values.update(overrides)
    return values


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def staff(office):
    return member(Role.OFFICE_STAFF, office)


def events() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_sample_rubric_with_the_call(office, staff):
    call = call_create_from_template(office=office, by=staff, terms=terms(), rubric_sample="shanxi")
    assert call.state == CallState.DRAFT
    assert Rubric.objects.get(call=call).indicators.exists()
    assert events() == ["call.create", "rubric.load_sample"]


def test_without_a_rubric_only_the_call(office, staff):
    call = call_create_from_template(office=office, by=staff, terms=terms())
    assert not Rubric.objects.filter(call=call).exists()
    assert events() == ["call.create"]


def test_an_unknown_sample_leaves_no_call(office, staff):
    with pytest.raises(Invalid):
        call_create_from_template(office=office, by=staff, terms=terms(), rubric_sample="nope")
    assert not Call.objects.exists()
    assert not AuditEvent.objects.exists()


def test_two_rubric_sources_are_refused(office, staff):
    template = rubric_create(name="模板", specs=ONE_ROW, by=None)
    with pytest.raises(Invalid):
        call_create_from_template(
            office=office,
            by=staff,
            terms=terms(),
            rubric_sample="shanxi",
            rubric_source=template,
        )
    assert not Call.objects.exists()


def test_a_bad_window_is_refused_before_anything(office, staff):
    now = timezone.now()
    with pytest.raises(Invalid):
        call_create_from_template(office=office, by=staff, terms=terms(opens_at=now, closes_at=now))
    assert not Call.objects.exists()


def test_copy_an_earlier_calls_rubric(office, staff):
    earlier = CallFactory(office=office)
    source = rubric_create(name="细则", specs=ONE_ROW, by=staff, call=earlier, aggregation="median")
    call = call_create_from_template(office=office, by=staff, terms=terms(), rubric_source=source)
    copy = Rubric.objects.get(call=call)
    assert copy.pk != source.pk and copy.aggregation == "median"
    assert specs_of(copy) == specs_of(source)
    event = AuditEvent.objects.get(action="rubric.copy")
    assert event.diff["copied_from"] == source.pk
    assert event.diff["copied_from_call"] == earlier.pk


def test_a_template_is_copied_as_a_template(office, staff):
    template = rubric_create(name="模板", specs=ONE_ROW, by=None)
    call = CallFactory(office=office)
    rubric_copy(source=template, call=call, by=staff)
    assert events()[-1] == "rubric.create_from_template"


def test_another_offices_rubric_cannot_be_copied(office, staff):
    foreign = rubric_create(name="外单位", specs=ONE_ROW, by=None, call=CallFactory())
    with pytest.raises(NotPermitted):
        call_create_from_template(office=office, by=staff, terms=terms(), rubric_source=foreign)
    assert not Call.objects.filter(office=office).exists()


def test_only_the_offices_staff_create(office):
    director = member(Role.OFFICE_DIRECTOR, office)
    with pytest.raises(NotPermitted):
        call_create_from_template(office=office, by=director, terms=terms(), rubric_sample="shanxi")
    assert not Call.objects.exists()


def test_a_rubric_is_not_copied_onto_its_own_call(office, staff):
    call = CallFactory(office=office)
    rubric = rubric_create(name="细则", specs=ONE_ROW, by=staff, call=call)
    with pytest.raises(Invalid):
        rubric_copy(source=rubric, call=call, by=staff)


def test_frozen_once_the_call_leaves_review(office, staff):
    call = CallFactory(office=office)
    rubric = rubric_create(name="细则", specs=ONE_ROW, by=staff, call=call)
    assert not rubric_is_frozen(rubric)
    force_state(call, CallState.PUBLICITY)
    rubric.refresh_from_db()
    assert rubric_is_frozen(Rubric.objects.get(pk=rubric.pk))
    template = rubric_create(name="模板", specs=ONE_ROW, by=None)
    assert not rubric_is_frozen(template)
