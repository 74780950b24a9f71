"""评审认定 → 授牌 through the services: acceptance rounds, the panel draw, the plaque."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import ExpertFactory, OfficeFactory, OrganisationFactory, member
from tests.factories_award import (
    awarded,
    decided,
    declare,
    direct_award_project,
    drawn,
    passed,
    pool,
    project,
    sheet_at,
    sheets_at,
)
from workflow.audit import verify_database
from workflow.certificates import certificate_pdf
from workflow.choices import ApplicationState, Level, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import (
    Acceptance,
    AuditEvent,
    Award,
    CalendarDay,
    Membership,
    PlaqueCounter,
)
from workflow.models.award import AcceptanceState
from workflow.rules import acceptance as rules
from workflow.services import award as svc
from workflow.workdays import add_working_days

pytestmark = pytest.mark.django_db

A = ApplicationState
S = AcceptanceState
YEAR = timezone.localdate().year


@pytest.fixture
def experts():
    return pool(7)


@pytest.fixture
def p(experts):
    return project()


def actions(obj_type: str, obj_id) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj_type, object_id=str(obj_id))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def told(user, kind) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


# The main path ------------------------------------------------------------------------------


def test_declare_opens_round_one(p):
    acceptance = declare(p)
    assert acceptance.number == 1 and acceptance.state == S.REQUESTED
    assert acceptance.declared_by == p.applicant
    assert p.refresh().state == A.ACCEPTANCE
    assert actions("workflow.acceptance", acceptance.pk) == ["acceptance.declare"]
    assert "application.declare_complete" in actions("workflow.application", p.application.pk)


def test_pass_then_award_numbers_001_then_002(experts):
    first, second = project(), project()
    award1 = awarded(first)
    award2 = awarded(second)
    assert award1.number == f"产教融合省级〔{YEAR}〕001号"
    assert award2.number == f"产教融合省级〔{YEAR}〕002号"
    assert award1.plaque_title == "省级产教融合重大平台载体和实训基地"
    assert award1.level == Level.PROVINCE and award1.awarded_by == first.staff
    assert first.refresh().state == A.AWARDED
    assert PlaqueCounter.objects.get(level=Level.PROVINCE, year=YEAR).last == 2
    assert actions("workflow.award", award1.pk) == ["award.grant"]
    assert "application.award" in actions("workflow.application", first.application.pk)
    assert [n.payload["number"] for n in told(first.applicant, Kind.AWARDED)] == [award1.number]
    assert verify_database().ok


def test_the_certificate_hash_matches_the_recorded_snapshot(p):
    award = awarded(p)
    content = svc.certificate_content(award)
    assert content.organisation == p.application.organisation.name
    assert content.project == p.application.title
    assert content.number == award.number
    assert content.office == p.office.name
    pdf = certificate_pdf(content)
    assert hashlib.sha256(pdf).hexdigest() == award.certificate_sha256
    # Renaming the organisation later does not change the certificate as issued.
    p.application.organisation.name = "改名后的单位"
    p.application.organisation.save()
    award.refresh_from_db()
    assert svc.certificate_content(award).organisation == content.organisation


def test_passed_acceptance_records_total_scores_and_tells_the_applicant(p):
    acceptance = decided(p, "0.8", conclusion="专家组一致同意通过。")
    assert acceptance.state == S.PASSED
    assert acceptance.total == Decimal("80.00")
    assert set(acceptance.scores) == {str(m["expert"]) for m in acceptance.panel}
    assert acceptance.conclusion == "专家组一致同意通过。"
    assert acceptance.decided_by == p.staff and acceptance.rectification_due is None
    assert p.refresh().state == A.ACCEPTANCE  # waits for the award
    event = AuditEvent.objects.get(action="acceptance.pass_")
    assert event.diff["total"] == "80.00"
    outcomes = [n.payload["outcome"] for n in told(p.applicant, Kind.ACCEPTANCE_DECIDED)]
    assert outcomes == [str(S.PASSED.label)]


def test_fail_rectify_second_acceptance_pass_award(p):
    today = timezone.localdate()
    first = decided(p, "0.5", conclusion="实训设备未全部到位。")
    assert first.state == S.FAILED and first.total == Decimal("50.00")
    assert first.rectification_due == add_working_days(today, 60)
    assert p.refresh().state == A.RECTIFYING
    with pytest.raises(Conflict):
        svc.award_grant(application=p.application, by=p.staff)
    second = passed(p)
    assert second.number == 2 and second.state == S.PASSED
    rounds = Acceptance.objects.filter(application=p.application).order_by("number")
    assert list(rounds.values_list("number", "state")) == [(1, S.FAILED), (2, S.PASSED)]
    award = svc.award_grant(application=p.application, by=p.staff)
    assert p.refresh().state == A.AWARDED
    assert award.number.endswith("001号")
    outcomes = [n.payload["outcome"] for n in told(p.applicant, Kind.ACCEPTANCE_DECIDED)]
    assert sorted(outcomes) == sorted([str(S.FAILED.label), str(S.PASSED.label)])


def test_rectification_due_counts_holidays_or_takes_a_given_date(p, experts):
    today = timezone.localdate()
    CalendarDay.objects.create(date=today + dt.timedelta(days=7), kind="holiday", name="假日")
    acceptance = decided(p, "0.3")
    plain = add_working_days(today, 60)
    assert acceptance.rectification_due >= plain
    other = project()
    given = today + dt.timedelta(days=90)
    acceptance = drawn(other)
    acceptance = svc.acceptance_record_scores(
        acceptance=acceptance,
        by=other.staff,
        sheets=sheets_at(acceptance, "0.3"),
        conclusion="未通过。",
        rectification_due=given,
    )
    assert acceptance.rectification_due == given


def test_a_rectification_deadline_in_the_past_is_refused(p):
    acceptance = drawn(p)
    with pytest.raises(Invalid):
        svc.acceptance_record_scores(
            acceptance=acceptance,
            by=p.staff,
            sheets=sheets_at(acceptance, "0.3"),
            conclusion="未通过。",
            rectification_due=timezone.localdate(),
        )
    acceptance.refresh_from_db()
    assert acceptance.state == S.PANEL


def test_the_pass_mark_is_inclusive(p):
    assert decided(p, "0.6").state == S.PASSED


# The panel draw -----------------------------------------------------------------------------


def test_the_draw_is_reproducible_from_the_revealed_seed(p):
    acceptance = drawn(p)
    assert acceptance.state == S.PANEL and len(acceptance.panel) == 5
    assert all(m["name"] for m in acceptance.panel)
    event = AuditEvent.objects.get(action="acceptance.draw_panel")
    seed = event.diff["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == acceptance.seed_sha256
    inputs = event.diff["inputs"]
    recomputed = rules.acceptance_panel(seed, inputs["pool"], inputs["excluded"], inputs["size"])
    assert recomputed == [m["expert"] for m in acceptance.panel] == event.diff["panel"]
    assert p.refresh().state == A.ACCEPTANCE


def test_recused_experts_are_never_drawn(p, experts):
    colleague = ExpertFactory(employer=p.application.organisation)
    office_staff_expert = ExpertFactory()
    Membership.objects.create(
        user=office_staff_expert.user, role=Role.OFFICE_STAFF, office=p.office
    )
    inactive = ExpertFactory(active=False)
    acceptance = drawn(p, size=7)  # 7 free experts: every one of them is drawn
    drawn_ids = {m["expert"] for m in acceptance.panel}
    assert drawn_ids == {e.id for e in experts}
    assert not {colleague.id, office_staff_expert.id, inactive.id} & drawn_ids
    inputs = AuditEvent.objects.get(action="acceptance.draw_panel").diff["inputs"]
    assert set(inputs["excluded"]) == {colleague.id, office_staff_expert.id}
    assert inputs["exclusions"][str(colleague.id)][0][1] == "employed_now"


def test_too_small_a_pool_is_refused_clearly(p, experts):
    acceptance = declare(p)
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as exc:
        svc.acceptance_draw_panel(acceptance=acceptance, by=p.staff, size=9)
    assert "7" in exc.value.message and "9" in exc.value.message
    acceptance.refresh_from_db()
    assert acceptance.state == S.REQUESTED and acceptance.panel == []
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("size", [4, 3, 0])
def test_panel_size_must_be_odd_and_at_least_five(p, size):
    acceptance = declare(p)
    with pytest.raises(Invalid):
        svc.acceptance_draw_panel(acceptance=acceptance, by=p.staff, size=size)


def test_the_panel_is_drawn_once(p):
    acceptance = drawn(p)
    with pytest.raises(Conflict):
        svc.acceptance_draw_panel(acceptance=acceptance, by=p.staff)


# Score sheets -------------------------------------------------------------------------------


def test_a_missing_sheet_is_refused_and_nothing_changes(p):
    acceptance = drawn(p)
    sheets = sheets_at(acceptance, "0.8")
    sheets.pop(acceptance.panel[0]["expert"])
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as exc:
        svc.acceptance_record_scores(
            acceptance=acceptance, by=p.staff, sheets=sheets, conclusion="同意。"
        )
    assert any(acceptance.panel[0]["name"] in problem for problem in exc.value.problems)
    acceptance.refresh_from_db()
    assert acceptance.state == S.PANEL and acceptance.scores == {} and acceptance.total is None
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("mark", ["31", "-1", "x", "10.001"])
def test_marks_out_of_range_are_refused(p, mark):
    acceptance = drawn(p)
    sheets = sheets_at(acceptance, "0.8")
    sheets[acceptance.panel[1]["expert"]]["targets"] = mark
    with pytest.raises(Invalid) as exc:
        svc.acceptance_record_scores(
            acceptance=acceptance, by=p.staff, sheets=sheets, conclusion="同意。"
        )
    assert len(exc.value.problems) == 1
    acceptance.refresh_from_db()
    assert acceptance.state == S.PANEL


def test_a_sheet_from_outside_the_panel_and_a_missing_conclusion_are_refused(p, experts):
    acceptance = drawn(p)
    outsider = next(e for e in experts if e.id not in {m["expert"] for m in acceptance.panel})
    sheets = {**sheets_at(acceptance, "0.8"), outsider.id: sheet_at("1")}
    with pytest.raises(Invalid):
        svc.acceptance_record_scores(
            acceptance=acceptance, by=p.staff, sheets=sheets, conclusion="同意。"
        )
    with pytest.raises(Invalid):
        svc.acceptance_record_scores(
            acceptance=acceptance, by=p.staff, sheets=sheets_at(acceptance, "0.8"), conclusion=" "
        )


def test_scores_are_recorded_once(p):
    acceptance = decided(p, "0.8")
    with pytest.raises(Conflict):
        svc.acceptance_record_scores(
            acceptance=acceptance,
            by=p.staff,
            sheets=sheets_at(acceptance, "0.2"),
            conclusion="改分。",
        )
    acceptance.refresh_from_db()
    assert acceptance.total == Decimal("80.00")


def test_scores_before_the_draw_are_refused(p):
    acceptance = declare(p)
    with pytest.raises(Conflict):
        svc.acceptance_record_scores(acceptance=acceptance, by=p.staff, sheets={}, conclusion="x")


# Direct award -------------------------------------------------------------------------------


def test_direct_award_from_approved_on_a_direct_award_call(db):
    d = direct_award_project(level=Level.CITY)
    award = svc.award_grant(application=d.application, by=d.staff)
    assert d.refresh().state == A.AWARDED
    assert award.number == f"产教融合市级〔{YEAR}〕001号"
    assert award.plaque_title == "市级产教融合重大平台载体和实训基地"
    assert AuditEvent.objects.get(action="award.grant").diff["route"] == "direct_award"


def test_approved_on_a_selection_call_is_refused(db):
    s = project(A.APPROVED)
    with pytest.raises(Conflict) as exc:
        svc.award_grant(application=s.application, by=s.staff)
    assert exc.value.message
    assert s.refresh().state == A.APPROVED
    assert not Award.objects.exists() and not PlaqueCounter.objects.exists()


def test_award_before_the_acceptance_is_passed_is_refused(p):
    drawn(p)
    with pytest.raises(Conflict):
        svc.award_grant(application=p.application, by=p.staff)
    assert not Award.objects.exists()


def test_award_twice_is_refused(p):
    awarded(p)
    with pytest.raises(Conflict):
        svc.award_grant(application=p.application, by=p.staff)
    assert Award.objects.count() == 1


def test_numbers_restart_each_year_and_dates_in_the_future_are_refused(experts):
    last_year = dt.date(YEAR - 1, 12, 30)
    old = awarded(project(), awarded_on=last_year)
    new = awarded(project())
    assert old.number == f"产教融合省级〔{YEAR - 1}〕001号" and old.awarded_on == last_year
    assert new.number == f"产教融合省级〔{YEAR}〕001号"
    d = direct_award_project()
    with pytest.raises(Invalid):
        svc.award_grant(
            application=d.application,
            by=d.staff,
            awarded_on=timezone.localdate() + dt.timedelta(days=1),
        )


def test_an_edited_scheme_applies_to_the_next_number(experts):
    from workflow.models import PlaqueScheme

    awarded(project())
    PlaqueScheme.objects.filter(level=Level.PROVINCE).update(pattern="晋产教平台〔{year}〕{seq}号")
    assert awarded(project()).number == f"晋产教平台〔{YEAR}〕2号"


def test_a_scheme_that_would_repeat_a_number_is_refused(experts):
    from workflow.models import PlaqueScheme

    awarded(project())
    PlaqueScheme.objects.filter(level=Level.PROVINCE).update(pattern="固定编号{year}")
    d = direct_award_project()
    with pytest.raises(Invalid):
        svc.award_grant(application=d.application, by=d.staff)
    assert d.refresh().state == A.APPROVED


# Termination --------------------------------------------------------------------------------


def test_terminate_needs_a_reason_and_ends_the_project(p):
    decided(p, "0.3")
    with pytest.raises(Invalid):
        svc.application_terminate(application=p.application, by=p.staff, reason="  ")
    svc.application_terminate(application=p.application, by=p.staff, reason="整改期满仍未达标。")
    assert p.refresh().state == A.TERMINATED
    event = AuditEvent.objects.get(action="application.terminate")
    assert event.reason == "整改期满仍未达标。"
    with pytest.raises(Conflict):
        declare(p)


def test_an_awarded_project_cannot_be_terminated(p):
    awarded(p)
    with pytest.raises(Conflict):
        svc.application_terminate(application=p.application, by=p.staff, reason="x")


# Who may act --------------------------------------------------------------------------------


def test_declaring_is_for_the_organisation_only(p):
    stranger = member(Role.APPLICANT, OrganisationFactory())
    for who in (stranger, p.staff):
        with pytest.raises(NotPermitted):
            svc.acceptance_declare(application=p.application, by=who, completion_report="完成。")
    assert p.refresh().state == A.CONSTRUCTING


def test_declaring_needs_a_report_and_the_right_state(experts):
    p = project()
    with pytest.raises(Invalid):
        svc.acceptance_declare(application=p.application, by=p.applicant, completion_report=" ")
    with pytest.raises(Invalid):
        svc.acceptance_declare(
            application=p.application, by=p.applicant, completion_report="长" * 20001
        )
    approved = project(A.APPROVED)
    with pytest.raises(Conflict):
        declare(approved)
    declare(p)
    with pytest.raises(Conflict):
        declare(p)


@pytest.fixture
def outsiders(p):
    other_office = OfficeFactory()
    return {
        "other office staff": member(Role.OFFICE_STAFF, other_office),
        "director": member(Role.OFFICE_DIRECTOR, p.office),
        "applicant": p.applicant,
        "supervisor": member(Role.SUPERVISOR, other_office),
    }


def test_office_decisions_are_for_the_calls_office_staff_only(p, outsiders):
    acceptance = declare(p)
    for who in outsiders.values():
        with pytest.raises(NotPermitted):
            svc.acceptance_draw_panel(acceptance=acceptance, by=who)
        with pytest.raises(NotPermitted):
            svc.application_terminate(application=p.application, by=who, reason="x")
    acceptance = svc.acceptance_draw_panel(acceptance=acceptance, by=p.staff)
    for who in outsiders.values():
        with pytest.raises(NotPermitted):
            svc.acceptance_record_scores(
                acceptance=acceptance,
                by=who,
                sheets=sheets_at(acceptance, "0.8"),
                conclusion="同意。",
            )
    acceptance = svc.acceptance_record_scores(
        acceptance=acceptance, by=p.staff, sheets=sheets_at(acceptance, "0.8"), conclusion="同意。"
    )
    for who in outsiders.values():
        with pytest.raises(NotPermitted):
            svc.award_grant(application=p.application, by=who)
    assert p.refresh().state == A.ACCEPTANCE and not Award.objects.exists()


def test_the_chinese_year_boundary_is_beijing_time(experts):
    # 31 December 20:00 UTC is already 1 January in Beijing: the plaque counts in the new year.
    with time_machine.travel(dt.datetime(2030, 12, 31, 20, 0, tzinfo=dt.UTC), tick=False):
        d = direct_award_project()
        award = svc.award_grant(application=d.application, by=d.staff)
    assert award.awarded_on == dt.date(2031, 1, 1)
    assert award.number == "产教融合省级〔2031〕001号"


# Admin --------------------------------------------------------------------------------------


def _office_admin(level: str):
    from workflow.roles import office_admin_group

    user = member(Role.OFFICE_STAFF, OfficeFactory(level=level), is_staff=True)
    user.groups.add(office_admin_group())
    return user


def test_office_admins_edit_their_levels_scheme_audited(client):
    from django.urls import reverse

    from workflow.models import PlaqueScheme

    scheme = PlaqueScheme.objects.get(level=Level.PROVINCE)
    client.force_login(_office_admin(Level.PROVINCE))
    change = reverse("admin:workflow_plaquescheme_change", args=[scheme.pk])
    assert client.get(reverse("admin:workflow_plaquescheme_changelist")).status_code == 200
    response = client.post(
        change, {"pattern": "晋产教平台〔{year}〕{seq:03d}号", "plaque_title": scheme.plaque_title}
    )
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.pattern == "晋产教平台〔{year}〕{seq:03d}号"
    event = AuditEvent.objects.get(action="plaquescheme.update")
    assert event.diff["pattern"]["old"] == "产教融合省级〔{year}〕{seq:03d}号"
    # A pattern without {seq} would number every plaque alike.
    response = client.post(change, {"pattern": "晋产教平台〔{year}〕号", "plaque_title": "x"})
    assert response.status_code == 200
    scheme.refresh_from_db()
    assert scheme.plaque_title != "x"
    # Another level's scheme is read-only to this office; deleting is for nobody.
    city = PlaqueScheme.objects.get(level=Level.CITY)
    city_change = reverse("admin:workflow_plaquescheme_change", args=[city.pk])
    assert client.post(city_change, {"pattern": "{seq}", "plaque_title": "x"}).status_code == 403
    delete = reverse("admin:workflow_plaquescheme_delete", args=[scheme.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_acceptances_and_awards_are_read_only_in_the_admin(client, p):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    award = awarded(p)
    acceptance = Acceptance.objects.get(application=p.application)
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    for model, obj in (("acceptance", acceptance), ("award", award)):
        assert client.get(reverse(f"admin:workflow_{model}_changelist")).status_code == 200
        page = client.get(reverse(f"admin:workflow_{model}_change", args=[obj.pk]))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.get(reverse(f"admin:workflow_{model}_add")).status_code == 403
        delete = reverse(f"admin:workflow_{model}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Award.objects.filter(pk=award.pk).exists()
