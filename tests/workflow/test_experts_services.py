"""The expert pool's services: create, update, deactivate, and the Excel import and export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import (
    ExpertFactory,
    OfficeFactory,
    OrganisationFactory,
    UserFactory,
    member,
)
from tests.workflow.test_experts_excel import GOOD, xlsx
from workflow.choices import ExpertRelationKind as K
from workflow.choices import Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.experts_excel import (
    COL_ACTIVE,
    COL_BOARD,
    COL_EMPLOYER,
    COL_FORMER,
    COL_KINSHIP,
    COL_NAME,
    COL_PHONE,
    COL_SHARES,
    COL_TITLE,
    COL_YEARS,
    ExpertEntry,
    RelationEntry,
    parse_workbook,
)
from workflow.models import AuditEvent, Expert, ExpertRelation, Membership
from workflow.services import experts as svc
from workflow.services.experts import (
    expert_activate,
    expert_create,
    expert_deactivate,
    expert_entry,
    expert_update,
    experts_export,
    experts_import,
)

pytestmark = pytest.mark.django_db

ORG_NAMES = ("太原理工大学", "山西汽车集团", "晋能控股集团", "某科技公司", "某投资公司")
ORG_NAMES += ("某材料公司", "某职业学院")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def organisations(db):
    return {name: OrganisationFactory(name=name) for name in ORG_NAMES}


@pytest.fixture
def staff(db):
    return member(Role.OFFICE_STAFF, OfficeFactory())


def events(action: str | None = None) -> int:
    qs = AuditEvent.objects.all()
    return (qs.filter(action=action) if action else qs).count()


def pool_state() -> list:
    """Everything the pool holds, to compare before and after."""
    experts = Expert.objects.select_related("employer", "user").order_by("id")
    return [(e.pk, e.user.username, e.employer_id, expert_entry(e), e.active) for e in experts] + [
        sorted(ExpertRelation.objects.values_list("expert", "kind", "organisation", "ended_on"))
    ]


# Import --------------------------------------------------------------------------------------


def test_import_keeps_good_rows_and_names_bad_rows(staff, organisations):
    data = xlsx(
        [
            GOOD,  # row 2: good, with every kind of relation
            {
                **GOOD,
                COL_NAME: "赵敏",
                COL_PHONE: "13900000001",
                COL_TITLE: "",
                COL_YEARS: 99,
                COL_FORMER: "不存在的单位|2020-01-01",
                COL_SHARES: "某投资公司",
            },
            {
                **GOOD,
                COL_NAME: "李华",
                COL_PHONE: None,
                COL_EMPLOYER: "某研究所",
                COL_FORMER: None,
                COL_BOARD: None,
                COL_SHARES: None,
                COL_KINSHIP: None,
            },
            {**GOOD, COL_NAME: "王德明"},  # row 5: the same phone as row 2
        ]
    )

    report = experts_import(workbook_bytes=data, by=staff)

    assert [r.row for r in report.created] == [2, 4]
    assert [r.row for r in report.errors] == [3, 5]
    row3 = report.errors[0]
    assert row3.name == "赵敏"
    assert len(row3.problems) == 4
    assert any("职称 is required" in p for p in row3.problems)
    assert any("between 0 and 70" in p for p in row3.problems)
    assert any("“不存在的单位” is not a registered organisation" in p for p in row3.problems)
    assert any("持股/实际控制单位" in p for p in row3.problems)
    assert "Row 2 describes the same expert" in report.errors[1].problems[0]
    assert [(w.row, w.name) for w in report.warnings] == [(4, "李华")]

    assert Expert.objects.count() == 2
    assert events("expert.create") == 2
    wang = Expert.objects.get(name="王德明")
    assert wang.employer == organisations["太原理工大学"]
    assert wang.phone == "13800138000"
    assert wang.sectors == ["新能源汽车", "智能制造", "材料"]
    assert wang.relations.count() == 6
    assert wang.relations.get(kind=K.KINSHIP).person_name == "李某"
    assert wang.user.username == "expert_13800138000"
    assert not wang.user.has_usable_password()
    assert Membership.objects.filter(
        user=wang.user, role=Role.EXPERT, organisation=wang.employer
    ).exists()
    li = Expert.objects.get(name="李华")
    assert li.employer is None and li.employer_name == "某研究所"
    assert li.user.username.startswith("expert_")
    assert not Membership.objects.filter(user=li.user).exists()
    event = AuditEvent.objects.get(action="expert.create", object_id=str(wang.pk))
    assert event.actor_id == staff.pk and event.role == Role.OFFICE_STAFF
    assert event.diff["via"] == "excel" and event.diff["row"] == 2
    assert len(event.diff["relations"]) == 6


def test_reimporting_an_export_changes_nothing_and_round_trips_every_field(staff, organisations):
    code_org = OrganisationFactory(name="某省属企业", credit_code="91140000MA0K12345X")
    data = xlsx(
        [
            GOOD,
            {
                **GOOD,
                COL_NAME: "赵敏",
                COL_PHONE: "139-0000-0002",
                COL_ACTIVE: "否",
                COL_EMPLOYER: "某研究所",
                COL_FORMER: "91140000ma0k12345x|2021-03-01",
                COL_BOARD: "某科技公司|监事",
                COL_SHARES: "某投资公司|实际控制人",
                COL_KINSHIP: None,
            },
            {
                **GOOD,
                COL_NAME: "李华",
                COL_PHONE: None,
                COL_YEARS: 0,
                COL_FORMER: None,
                COL_BOARD: None,
                COL_SHARES: None,
                COL_KINSHIP: None,
            },
        ]
    )
    first = experts_import(workbook_bytes=data, by=staff)
    assert len(first.created) == 3 and not first.errors
    zhao = Expert.objects.get(name="赵敏")
    assert zhao.active is False
    assert zhao.relations.get(kind=K.FORMER_EMPLOYER).organisation == code_org
    assert {r.kind for r in zhao.relations.all()} == {
        K.FORMER_EMPLOYER,
        K.SUPERVISOR,
        K.ACTUAL_CONTROLLER,
    }
    before, audit_before, users_before = pool_state(), events(), get_user_model().objects.count()

    exported = experts_export(by=staff)
    second = experts_import(workbook_bytes=exported, by=staff)

    assert [r.row for r in second.unchanged] == [2, 3, 4]
    assert second.created == second.updated == second.errors == []
    assert pool_state() == before
    assert events() == audit_before
    assert get_user_model().objects.count() == users_before
    # The export is the pool, field by field (the credit code is written back as the name).
    entries = [r.entry for r in parse_workbook(exported).rows]
    assert entries == [expert_entry(e) for e in Expert.objects.order_by("id")]
    assert entries[1].relations[0] == RelationEntry(
        K.FORMER_EMPLOYER, "某省属企业", ended_on=dt.date(2021, 3, 1)
    )
    assert entries[1].phone == "139-0000-0002" and entries[1].active is False
    assert experts_export(by=staff) and load_workbook(io.BytesIO(exported)).sheetnames


def test_import_updates_the_expert_with_the_same_phone(staff, organisations):
    experts_import(workbook_bytes=xlsx([GOOD]), by=staff)
    wang = Expert.objects.get()
    changed = {**GOOD, COL_PHONE: "138 0013 8000", COL_TITLE: "正高级职称", COL_KINSHIP: None}

    report = experts_import(workbook_bytes=xlsx([changed]), by=staff)

    assert [(r.row, r.expert_id) for r in report.updated] == [(2, wang.pk)]
    wang.refresh_from_db()
    assert wang.title == "正高级职称"
    assert not wang.relations.filter(kind=K.KINSHIP).exists()
    event = AuditEvent.objects.filter(action="expert.update").get()
    assert event.diff["title"] == {"old": "高级职称", "new": "正高级职称"}
    assert len(event.diff["relations"]["old"]) == 6 and len(event.diff["relations"]["new"]) == 5
    assert Expert.objects.count() == 1


def test_without_a_phone_the_name_and_employer_match_and_the_stored_phone_stays(
    staff, organisations
):
    experts_import(workbook_bytes=xlsx([GOOD]), by=staff)
    report = experts_import(
        workbook_bytes=xlsx([{**GOOD, COL_PHONE: None, COL_YEARS: 21}]), by=staff
    )
    assert len(report.updated) == 1
    wang = Expert.objects.get()
    assert (wang.years_of_work, wang.phone) == (21, "13800138000")


def test_a_namesake_with_another_phone_is_not_guessed(staff, organisations):
    experts_import(workbook_bytes=xlsx([GOOD]), by=staff)
    report = experts_import(workbook_bytes=xlsx([{**GOOD, COL_PHONE: "13700000000"}]), by=staff)
    assert [r.row for r in report.errors] == [2]
    assert "registered with another phone number" in report.errors[0].problems[0]
    assert Expert.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [b"name,title\n", "王德明".encode(), b"PK\x03\x04garbage", b""],
    ids=["csv", "text", "broken-zip", "empty"],
)
def test_a_file_that_is_not_xlsx_changes_nothing(staff, organisations, data):
    experts_import(workbook_bytes=xlsx([GOOD]), by=staff)
    before, audit_before = pool_state(), events()
    with pytest.raises(Invalid) as exc:
        experts_import(workbook_bytes=data, by=staff)
    assert "Excel" in exc.value.message or "empty" in exc.value.message
    assert pool_state() == before and events() == audit_before


def test_an_oversized_file_is_refused(staff, monkeypatch):
    monkeypatch.setattr(svc, "IMPORT_MAX_BYTES", 100)
    with pytest.raises(Invalid, match="larger than the limit"):
        experts_import(workbook_bytes=xlsx([GOOD]), by=staff)


def test_a_sheet_without_rows_is_refused(staff):
    with pytest.raises(Invalid, match="no experts"):
        experts_import(workbook_bytes=xlsx([]), by=staff)


# Who maintains the pool ---------------------------------------------------------------------


def outsiders():
    office = OfficeFactory()
    organisation = OrganisationFactory()
    return {
        "director": member(Role.OFFICE_DIRECTOR, office),
        "applicant": member(Role.APPLICANT, organisation),
        "expert": ExpertFactory().user,
        "supervisor": member(Role.SUPERVISOR, office),
        "no role": UserFactory(),
    }


def test_only_office_staff_maintain_the_pool(staff, organisations):
    expert = ExpertFactory()
    entry = ExpertEntry(name="甲", title="高级", years_of_work=3, region="太原市")
    users = outsiders()
    before, audit_before = pool_state(), events()
    for user in users.values():
        calls = [
            lambda u: expert_create(entry=entry, by=u),
            lambda u: expert_update(expert=expert, entry=entry, by=u),
            lambda u: expert_deactivate(expert=expert, by=u),
            lambda u: experts_import(workbook_bytes=xlsx([GOOD]), by=u),
            lambda u: experts_export(by=u),
        ]
        for call in calls:
            with pytest.raises(NotPermitted):
                call(user)
    assert events() == audit_before
    assert pool_state() == before
    # Staff of any office may: the pool is provincial.
    other_office_staff = member(Role.OFFICE_STAFF, OfficeFactory())
    assert expert_create(entry=entry, by=other_office_staff).name == "甲"


# Create, update, deactivate ------------------------------------------------------------------


def entry_for(**changes) -> ExpertEntry:
    base = {
        "name": "孙立",
        "phone": "13600000000",
        "employer": "太原理工大学",
        "title": "高级职称",
        "years_of_work": 12,
        "sectors": ("新能源汽车",),
        "region": "太原市",
        "relations": (
            RelationEntry(K.FORMER_EMPLOYER, "山西汽车集团", ended_on=dt.date(2023, 1, 1)),
        ),
    }
    return ExpertEntry(**{**base, **changes})


def test_create_update_and_deactivate_are_audited(staff, organisations):
    expert = expert_create(entry=entry_for(), by=staff)
    assert expert.employer == organisations["太原理工大学"]
    assert events("expert.create") == 1

    expert_update(
        expert=expert,
        entry=entry_for(employer="某职业学院", relations=()),
        by=staff,
    )
    expert.refresh_from_db()
    assert expert.employer == organisations["某职业学院"]
    assert expert.relations.count() == 0
    event = AuditEvent.objects.get(action="expert.update")
    assert set(event.diff) == {"employer", "employer_name", "relations"}
    # The expert role moves with the employer.
    assert list(
        Membership.objects.filter(user=expert.user, role=Role.EXPERT).values_list(
            "organisation__name", flat=True
        )
    ) == ["某职业学院"]

    expert_update(expert=expert, entry=entry_for(employer="某职业学院", relations=()), by=staff)
    assert events("expert.update") == 1  # nothing changed, nothing recorded

    expert_deactivate(expert=expert, by=staff, reason="退休")
    expert.refresh_from_db()
    assert expert.active is False
    assert AuditEvent.objects.get(action="expert.deactivate").reason == "退休"
    with pytest.raises(Conflict):
        expert_deactivate(expert=expert, by=staff)
    expert_activate(expert=expert, by=staff)
    expert.refresh_from_db()
    assert expert.active is True


def test_create_lists_every_problem_and_saves_nothing(staff, organisations):
    bad = entry_for(
        title="",
        years_of_work=80,
        relations=(
            RelationEntry(K.FORMER_EMPLOYER, "无此单位", ended_on=dt.date(2020, 1, 1)),
            RelationEntry(K.KINSHIP, "某职业学院"),
        ),
    )
    with pytest.raises(Invalid) as exc:
        expert_create(entry=bad, by=staff)
    assert len(exc.value.problems) == 4
    assert Expert.objects.count() == 0 and events() == 0


def test_create_refuses_a_duplicate(staff, organisations):
    expert_create(entry=entry_for(), by=staff)
    with pytest.raises(Conflict, match="phone number"):
        expert_create(entry=entry_for(name="别名"), by=staff)
    with pytest.raises(Conflict, match="already in the expert pool"):
        expert_create(entry=entry_for(phone=""), by=staff)
    # A namesake at the same employer with another phone number is another person.
    assert expert_create(entry=entry_for(phone="13611111111"), by=staff)
    assert Expert.objects.count() == 2


def test_update_refuses_another_experts_phone(staff, organisations):
    expert_create(entry=entry_for(), by=staff)
    other = expert_create(entry=entry_for(name="周强", phone="13622222222"), by=staff)
    with pytest.raises(Conflict):
        expert_update(expert=other, entry=entry_for(name="周强"), by=staff)
