"""Rubrics through the services and the loader command: validated, audited, frozen in review."""

from dataclasses import replace
from decimal import Decimal as D
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.factories import OfficeFactory, UserFactory, member, published_call, review_call
from workflow.choices import Aggregation, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import AuditEvent, Indicator, Rubric
from workflow.rubrics_data import SHANXI, SHAOXING
from workflow.services.rubrics import (
    rubric_create_from_template,
    rubric_load_sample,
    rubric_set_indicators,
    rubric_update_settings,
    specs_of,
)
from workflow.services.scoring import values_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(_chinese_by_default):
    with translation.override("en"):
        yield


def test_samples_load_as_templates_once():
    rubric = rubric_load_sample(key="shaoxing", by=None)
    assert rubric.call is None and rubric.indicators.count() == len(SHAOXING.specs) == 66
    assert rubric_load_sample(key="shaoxing", by=None) == rubric
    assert Rubric.objects.count() == 1
    event = AuditEvent.objects.get(action="rubric.load_sample")
    assert event.role == "system" and len(event.diff["indicators"]) == 66
    leaf = Indicator.objects.get(rubric=rubric, code="1.1.1")
    assert (leaf.parent.code, leaf.parent.parent.code, leaf.level) == ("1.1", "1", 3)
    with pytest.raises(Invalid):
        rubric_load_sample(key="nowhere", by=None)


def test_a_template_is_copied_onto_a_call_by_its_office():
    template = rubric_load_sample(key="shanxi", by=None)
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    with pytest.raises(NotPermitted):
        rubric_create_from_template(
            template=template, call=call, by=member(Role.OFFICE_STAFF, OfficeFactory())
        )
    copy = rubric_create_from_template(template=template, call=call, by=staff)
    assert copy.call == call and copy.aggregation == Aggregation.TRIMMED_MEAN
    assert specs_of(copy) == specs_of(template)
    assert AuditEvent.objects.get(action="rubric.create_from_template").diff["template"] == (
        template.pk
    )
    with pytest.raises(Conflict):
        rubric_create_from_template(template=template, call=call, by=staff)
    with pytest.raises(Invalid):
        rubric_create_from_template(template=copy, call=published_call(), by=staff)


def test_editing_the_tree_is_validated_and_audited():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    rubric = rubric_load_sample(key="shanxi", call=call, by=staff)
    specs = list(SHANXI.specs)
    broken = [replace(s, weight=D(10)) if s.code == "1.1" else s for s in specs]
    with pytest.raises(Invalid) as exc:
        rubric_set_indicators(rubric=rubric, by=staff, specs=broken)
    assert any("“1 实训功能”" in p for p in exc.value.problems), exc.value.problems
    assert specs_of(rubric) == specs_of(Rubric.objects.get(pk=rubric.pk))  # unchanged

    moved = [
        replace(s, weight=D(9)) if s.code == "1.1" else s
        for s in specs
        if s.code != "1.2"  # drop 1.2 (9 points): 1.1 gets 1 more, 6.3 gets 8 more
    ]
    moved = [replace(s, weight=D(17)) if s.code == "1" else s for s in moved]
    moved = [replace(s, weight=D(28)) if s.code == "6" else s for s in moved]
    moved = [replace(s, weight=D(13)) if s.code == "6.3" else s for s in moved]
    rubric_set_indicators(rubric=rubric, by=staff, specs=moved)
    assert not Indicator.objects.filter(rubric=rubric, code="1.2").exists()
    event = AuditEvent.objects.get(action="rubric.set_indicators")
    assert len(event.diff["indicators"]["old"]) == 25 and len(event.diff["indicators"]["new"]) == 24


def test_settings_are_validated_and_audited():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    rubric = rubric_load_sample(key="shanxi", by=None, call=call)
    for bad in (
        {"aggregation": "max"},
        {"dispersion_margin": "0"},
        {"abnormal_low_ratio": "0.97"},
        {"name": ""},
        {"colour": "red"},
    ):
        with pytest.raises(Invalid):
            rubric_update_settings(rubric=rubric, by=staff, **bad)
    rubric_update_settings(
        rubric=rubric, by=staff, aggregation=Aggregation.MEDIAN, dispersion_margin="10"
    )
    rubric.refresh_from_db()
    assert (rubric.aggregation, rubric.dispersion_margin) == (Aggregation.MEDIAN, D(10))
    diff = AuditEvent.objects.get(action="rubric.update").diff
    assert diff["aggregation"] == {"old": "trimmed_mean", "new": "median"}


def test_the_rubric_freezes_once_scoring_begins():
    call, staff, applications = review_call(applications=1)
    rubric = call.rubric
    rubric_update_settings(rubric=rubric, by=staff, dispersion_margin="12")
    values_verify(application=applications[0], by=staff, values={"6.3": ("10", "核对")})
    with pytest.raises(Conflict):
        rubric_update_settings(rubric=rubric, by=staff, dispersion_margin="20")
    with pytest.raises(Conflict):
        rubric_set_indicators(rubric=rubric, by=staff, specs=list(SHANXI.specs))


def test_template_rubrics_need_the_model_permission():
    template = rubric_load_sample(key="shanxi", by=None)
    user = UserFactory()
    with pytest.raises(NotPermitted):
        rubric_update_settings(rubric=template, by=user, dispersion_margin="10")
    user.user_permissions.add(Permission.objects.get(codename="change_rubric"))
    user = type(user).objects.get(pk=user.pk)  # fresh permission cache
    rubric_update_settings(rubric=template, by=user, dispersion_margin="10")


def test_load_rubric_command():
    out = StringIO()
    call_command("load_rubric", "shaoxing", stdout=out)
    assert "66 indicators" in out.getvalue()
    call = published_call()
    call_command("load_rubric", "shanxi", "--call", str(call.pk), stdout=out)
    assert Rubric.objects.get(call=call).indicators.count() == 25
    call_command("load_rubric", "shanxi", "--call", str(call.pk), stdout=out)
    assert "nothing to do" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("load_rubric", "shaoxing", "--call", str(call.pk), stdout=out)
    with pytest.raises(CommandError):
        call_command("load_rubric", "shanxi", "--call", "999999", stdout=out)
