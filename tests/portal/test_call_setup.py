"""Office staff set up a call in the portal (issue 6): a new call from a starting point (blank,
a copy of an earlier call, a rubric template or sample), its terms while it is a draft, and its
rubric in the editor with weight validation. Directors read; everyone else is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AssignmentFactory,
    CallFactory,
    DepartmentFactory,
    ExpertFactory,
    OfficeFactory,
    OrganisationFactory,
    force_state,
    member,
    review_call,
)
from tests.portal.helpers import audit_count, logged_in, text
from workflow.choices import CallState, IndicatorKind, Role
from workflow.models import AuditEvent, Call, Indicator, Rubric, Score
from workflow.rubrics_data import SAMPLES
from workflow.rules.rubric import IndicatorSpec
from workflow.services.rubrics import rubric_create, specs_of

pytestmark = pytest.mark.django_db

FORMAT = "%Y-%m-%dT%H:%M"


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(FORMAT)


def terms_data(**overrides) -> dict:
    """A valid post of a call's terms; override or drop (value None) single fields."""
    now = timezone.now()
    data = {
        "title": "智能制造产教融合实训基地",
        "sector": "智能制造",
        "level": "province",
        "description": "面向智能制造产业集群，建设集实训、创新、生产于一体的实训基地。",
        "functions": ["training", "innovation"],
        "eligible_applicant_types": ["vocational_school", "university"],
        "allowed_modes": ["school_led"],
        "required_attachments": ["application_form", "legal_entity_certificate"],
        "quota": "3",
        "route": "selection",
        "countersign_mode": "all",
        "opens_at": local(now - dt.timedelta(hours=1)),
        "closes_at": local(now + dt.timedelta(days=30)),
        "correction_working_days": "5",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def staff(office):
    return member(Role.OFFICE_STAFF, office)


@pytest.fixture
def client(staff):
    return logged_in(staff)


@pytest.fixture
def draft_call(office):
    return CallFactory(office=office)


def new_url() -> str:
    return reverse("portal:office_call_new")


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


# New call -------------------------------------------------------------------------------------


def test_new_call_page_is_linked_from_the_call_list(client):
    page = client.get(reverse("portal:office_call_list"))
    assert new_url() in text(page)


def test_create_a_blank_draft_call(client, office, staff):
    before = audit_count()
    response = client.post(new_url(), terms_data())
    call = Call.objects.get(title="智能制造产教融合实训基地")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:office_call_detail", args=[call.pk])
    assert call.state == CallState.DRAFT
    assert call.office == office and call.created_by == staff
    assert call.functions == ["training", "innovation"]
    assert call.quota == 3
    assert not Rubric.objects.filter(call=call).exists()
    assert audit_count() == before + 1
    assert actions()[-1] == "call.create"


def test_create_with_a_sample_rubric(client):
    before = audit_count()
    response = client.post(new_url(), terms_data(rubric="sample:shaoxing"))
    assert response.status_code == 302
    call = Call.objects.get(title="智能制造产教融合实训基地")
    assert call.rubric.name == SAMPLES["shaoxing"].name
    assert call.rubric.indicators.count() == len(SAMPLES["shaoxing"].specs)
    assert audit_count() == before + 2
    assert actions()[-2:] == ["call.create", "rubric.load_sample"]


def test_create_with_a_template_rubric(client):
    template = rubric_create(
        name="通用评分模板",
        specs=[IndicatorSpec(code="1", name="建设方案", level=1, weight=Decimal(100))],
        by=None,
    )
    client.post(new_url(), terms_data(rubric=f"rubric:{template.pk}"))
    call = Call.objects.get(title="智能制造产教融合实训基地")
    assert call.rubric.name == "通用评分模板" and call.rubric.pk != template.pk
    assert actions()[-2:] == ["call.create", "rubric.create_from_template"]


def test_copy_an_earlier_call_with_its_rubric(client, office, staff):
    earlier = CallFactory(office=office, title="新能源汽车实训基地", quota=7)
    rubric_create(
        name="新能源评分细则",
        specs=[IndicatorSpec(code="1", name="建设方案", level=1, weight=Decimal(100))],
        by=staff,
        call=earlier,
    )
    page = client.get(new_url(), {"copy_from": earlier.pk})
    form = page.context["form"]
    assert form.initial["title"] == "新能源汽车实训基地 (copy)"
    assert form.initial["quota"] == 7
    assert form.initial["opens_at"] is None and form.initial["closes_at"] is None
    assert form.initial["rubric"] == f"rubric:{earlier.rubric.pk}"
    assert 'value="新能源汽车实训基地 (copy)"' in text(page)

    response = client.post(
        new_url(),
        terms_data(title="新能源汽车实训基地 (copy)", rubric=f"rubric:{earlier.rubric.pk}"),
    )
    assert response.status_code == 302
    copy = Call.objects.get(title="新能源汽车实训基地 (copy)")
    assert copy.pk != earlier.pk
    assert copy.rubric.name == "新能源评分细则"
    assert [s.code for s in specs_of(copy.rubric)] == ["1"]
    assert actions()[-2:] == ["call.create", "rubric.copy"]


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "-1"])
def test_a_malformed_starting_point_is_a_message(client, value):
    page = client.get(new_url(), {"copy_from": value})
    assert page.status_code == 200
    assert page.context["start"].has_error("copy_from")


def test_another_offices_call_cannot_be_copied(client):
    foreign = CallFactory(title="外单位的榜单")
    rubric_create(
        name="外单位细则",
        specs=[IndicatorSpec(code="1", name="方案", level=1, weight=Decimal(100))],
        by=None,
        call=foreign,
    )
    page = client.get(new_url(), {"copy_from": foreign.pk})
    assert page.status_code == 200
    assert "外单位的榜单" not in text(page)
    before = Call.objects.count()
    response = client.post(new_url(), terms_data(rubric=f"rubric:{foreign.rubric.pk}"))
    assert response.status_code == 200
    assert response.context["form"].has_error("rubric")
    assert Call.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": None}, "title"),
        ({"quota": "0"}, "quota"),
        ({"quota": "99999999999999999999"}, "quota"),
        ({"quota": "many"}, "quota"),
        ({"functions": ["flying"]}, "functions"),
        ({"functions": None}, "functions"),
        ({"eligible_applicant_types": None}, "eligible_applicant_types"),
        ({"opens_at": "tomorrow"}, "opens_at"),
        ({"closes_at": None}, "closes_at"),
        ({"level": "galaxy"}, "level"),
        ({"correction_working_days": "-1"}, "correction_working_days"),
        ({"rubric": "sample:nowhere"}, "rubric"),
        ({"rubric": "rubric:999999999"}, "rubric"),
        ({"office": "999999999999999999999"}, "office"),
        ({"title": "长" * 201}, "title"),
    ],
)
def test_field_errors_save_nothing(client, overrides, field):
    before = (Call.objects.count(), audit_count())
    response = client.post(new_url(), terms_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].has_error(field), response.context["form"].errors
    assert (Call.objects.count(), audit_count()) == before


def test_closing_before_opening_is_an_error_on_the_closing_time(client):
    now = timezone.now()
    data = terms_data(opens_at=local(now + dt.timedelta(days=3)), closes_at=local(now))
    response = client.post(new_url(), data)
    assert response.status_code == 200
    assert response.context["form"].has_error("closes_at")
    assert "The closing time must be after the opening time." in text(response)
    assert not Call.objects.exists()


def test_a_failing_rubric_leaves_no_call_behind(client, monkeypatch):
    from workflow.errors import Invalid
    from workflow.services import rubrics

    def broken(**kwargs):
        raise Invalid("The rubric is not valid.", ["Indicator “1 方案” has no name."])

    monkeypatch.setattr(rubrics, "rubric_load_sample", broken)
    before = audit_count()
    response = client.post(new_url(), terms_data(rubric="sample:shanxi"))
    assert response.status_code == 200
    assert "The rubric is not valid." in text(response)
    assert not Call.objects.exists()
    assert audit_count() == before


def test_a_new_call_can_then_be_published(client):
    client.post(new_url(), terms_data(rubric="sample:shanxi"))
    call = Call.objects.get(title="智能制造产教融合实训基地")
    response = client.post(reverse("portal:office_call_action", args=[call.pk, "publish"]))
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.state == CallState.PUBLISHED
    assert actions()[-1] == "call.publish"


def test_staff_of_two_offices_choose_the_office(staff):
    second = OfficeFactory()
    from workflow.models import Membership

    Membership.objects.create(user=staff, role=Role.OFFICE_STAFF, office=second)
    client = logged_in(staff)
    assert client.post(new_url(), terms_data()).context["form"].has_error("office")
    response = client.post(new_url(), terms_data(office=second.pk))
    assert response.status_code == 302
    assert Call.objects.get().office == second


# Edit terms ------------------------------------------------------------------------------------


def test_edit_terms_of_a_draft(client, draft_call):
    url = reverse("portal:office_call_edit", args=[draft_call.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert draft_call.title in text(page)
    before = audit_count()
    response = client.post(url, terms_data(title="改过的标题", quota="9"))
    assert response.status_code == 302
    draft_call.refresh_from_db()
    assert (draft_call.title, draft_call.quota) == ("改过的标题", 9)
    assert audit_count() == before + 1
    assert actions()[-1] == "call.update"


def test_saving_unchanged_times_records_no_change_of_time(client, draft_call):
    url = reverse("portal:office_call_edit", args=[draft_call.pk])
    data = terms_data(
        opens_at=local(draft_call.opens_at), closes_at=local(draft_call.closes_at), quota="4"
    )
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.filter(action="call.update").latest("sequence")
    assert "opens_at" not in event.diff and "closes_at" not in event.diff
    assert "quota" in event.diff


def test_edit_terms_field_errors_change_nothing(client, draft_call):
    url = reverse("portal:office_call_edit", args=[draft_call.pk])
    before = audit_count()
    response = client.post(url, terms_data(quota="-3", title=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("quota") and form.has_error("title")
    draft_call.refresh_from_db()
    assert draft_call.quota == 2
    assert audit_count() == before


def test_published_terms_are_refused_with_a_message(client, draft_call):
    force_state(draft_call, CallState.PUBLISHED)
    url = reverse("portal:office_call_edit", args=[draft_call.pk])
    for response in (client.get(url, follow=True), client.post(url, terms_data(), follow=True)):
        assert response.redirect_chain[-1][0] == reverse(
            "portal:office_call_detail", args=[draft_call.pk]
        )
        assert "Only a draft call&#x27;s terms can be changed" in text(response)
    draft_call.refresh_from_db()
    assert draft_call.title != "智能制造产教融合实训基地"


def test_call_detail_links_to_the_setup_pages(client, draft_call):
    body = text(client.get(reverse("portal:office_call_detail", args=[draft_call.pk])))
    assert reverse("portal:office_call_edit", args=[draft_call.pk]) in body
    assert reverse("portal:office_rubric_edit", args=[draft_call.pk]) in body
    force_state(draft_call, CallState.DECIDED)
    body = text(client.get(reverse("portal:office_call_detail", args=[draft_call.pk])))
    assert reverse("portal:office_call_edit", args=[draft_call.pk]) not in body
    assert reverse("portal:office_rubric_edit", args=[draft_call.pk]) not in body
    assert reverse("portal:office_rubric", args=[draft_call.pk]) in body


# The rubric editor --------------------------------------------------------------------------


def rows_post(rows: list[dict], *, name: str = "评分细则", extra: int = 0) -> dict:
    """The editor's post: the management form and one entry per row."""
    data = {
        "name": name,
        "form-TOTAL_FORMS": str(len(rows) + extra),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "200",
        "save": "1",
    }
    for i, row in enumerate(rows):
        values = {"level": "1", "kind": "judged", "parent": "", "unit": "", "guidance": ""}
        values.update(row)
        for key, value in values.items():
            if value is not None:
                data[f"form-{i}-{key}"] = value
    for i in range(len(rows), len(rows) + extra):  # blank rows, as the page sends them
        data[f"form-{i}-level"] = "1"
        data[f"form-{i}-kind"] = "judged"
    return data


TREE = [
    {"code": "1", "name": "建设基础", "weight": "40"},
    {"code": "1.1", "name": "场地设备", "level": "2", "parent": "1", "weight": "25"},
    {
        "code": "1.2",
        "name": "师资队伍",
        "level": "2",
        "parent": "1",
        "weight": "15",
        "guidance": "12.75–15: 优\n0-12.74：其他",
    },
    {"code": "2", "name": "运行成效", "weight": "60"},
    {
        "code": "2.1",
        "name": "年培训人次",
        "level": "2",
        "parent": "2",
        "weight": "60",
        "kind": "quantitative",
        "unit": "人次",
    },
    {"code": "3", "name": "申报材料弄虚作假", "weight": "0", "kind": "veto"},
]


def edit_url(call) -> str:
    return reverse("portal:office_rubric_edit", args=[call.pk])


def test_create_a_rubric_in_the_editor(client, draft_call):
    page = client.get(edit_url(draft_call))
    assert page.status_code == 200
    before = audit_count()
    response = client.post(edit_url(draft_call), rows_post(TREE, extra=3))
    assert response.status_code == 302, response.context and response.context["summary"]
    rubric = Rubric.objects.get(call=draft_call)
    specs = {s.code: s for s in specs_of(rubric)}
    assert set(specs) == {"1", "1.1", "1.2", "2", "2.1", "3"}
    assert specs["1.2"].parent == "1" and specs["1.2"].position == 2
    assert list(specs["1.2"].guidance) == [
        {"from": "12.75", "to": "15", "text": "优"},
        {"from": "0", "to": "12.74", "text": "其他"},
    ]
    assert specs["2.1"].kind == IndicatorKind.QUANTITATIVE and specs["2.1"].unit == "人次"
    assert audit_count() == before + 1
    assert actions()[-1] == "rubric.create"


def test_edit_an_existing_rubric_remove_and_rename(client, draft_call, staff):
    client.post(edit_url(draft_call), rows_post(TREE))
    page = client.get(edit_url(draft_call))
    assert page.context["formset"].initial_form_count() == len(TREE)
    assert "12.75–15: 优" in text(page)
    rows = [dict(r) for r in TREE]
    rows[1]["DELETE"] = "on"  # 1.1 removed: 1 is now 15 points, so 2.1 takes 85
    rows[0]["weight"] = "15"
    rows[3]["weight"] = "85"
    rows[4]["weight"] = "85"
    before = audit_count()
    response = client.post(edit_url(draft_call), rows_post(rows, name="新名称"))
    assert response.status_code == 302
    rubric = Rubric.objects.get(call=draft_call)
    assert rubric.name == "新名称"
    assert "1.1" not in {s.code for s in specs_of(rubric)}
    assert actions()[before - audit_count() :] == ["rubric.set_indicators", "rubric.update"]


def test_weights_not_totalling_100_save_nothing(client, draft_call):
    client.post(edit_url(draft_call), rows_post(TREE))
    rubric = Rubric.objects.get(call=draft_call)
    stored = specs_of(rubric)
    rows = [dict(r) for r in TREE]
    rows[4]["weight"] = "55"  # 2.1: 55, so 2 (60) no longer matches and leaves total 95
    before = audit_count()
    response = client.post(edit_url(draft_call), rows_post(rows))
    assert response.status_code == 200
    body = text(response)
    assert "The scoring indicators total 95 points; they must total exactly 100." in body
    assert "Nothing was saved." in body
    # The heading's problem is shown next to its row.
    editor_rows = dict(
        (form.cleaned_data.get("code"), problems)
        for form, problems in response.context["rows"]
        if form.cleaned_data
    )
    assert any("weighs 60 points" in p for p in editor_rows["2"])
    assert response.context["totals"]["leaves"] == Decimal(95)
    assert specs_of(rubric) == stored
    assert audit_count() == before


@pytest.mark.parametrize(
    "change",
    [
        {"weight": "abc"},
        {"weight": "1e400"},
        {"weight": "100.001"},
        {"level": "7"},
        {"kind": "magic"},
        {"guidance": "no numbers here"},
        {"code": "x" * 21},
    ],
)
def test_malformed_rows_are_field_errors(client, draft_call, change):
    rows = [dict(r) for r in TREE]
    rows[1].update(change)
    response = client.post(edit_url(draft_call), rows_post(rows))
    assert response.status_code == 200
    assert "Nothing was saved." in text(response)
    assert not Rubric.objects.filter(call=draft_call).exists()


def test_tampered_management_form_is_not_a_500(client, draft_call):
    data = rows_post(TREE)
    data["form-TOTAL_FORMS"] = "99999999999"
    response = client.post(edit_url(draft_call), data)
    assert response.status_code == 200
    del data["form-TOTAL_FORMS"]
    assert client.post(edit_url(draft_call), data).status_code == 200
    assert not Rubric.objects.filter(call=draft_call).exists()


def test_add_rows_without_javascript(client, draft_call):
    response = client.post(edit_url(draft_call), {**rows_post(TREE[:1]), "add_rows": "1"})
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 1 + 5
    assert not Rubric.objects.filter(call=draft_call).exists()


def test_frozen_rubric_is_refused(client):
    call, staff, applications = review_call(applications=1)
    client = logged_in(staff)
    rubric = call.rubric
    indicator = rubric.indicators.filter(kind=IndicatorKind.JUDGED, children__isnull=True).first()
    assignment = AssignmentFactory(application=applications[0])
    Score.objects.create(assignment=assignment, indicator=indicator, value=1)
    stored = specs_of(rubric)
    response = client.get(edit_url(call), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:office_rubric", args=[call.pk])
    assert "Scoring has begun on this call" in text(response)
    before = audit_count()
    response = client.post(edit_url(call), rows_post(TREE))
    assert response.status_code == 302
    assert specs_of(rubric) == stored
    assert audit_count() == before


def test_rubric_of_a_decided_call_is_read_only(client, draft_call):
    client.post(edit_url(draft_call), rows_post(TREE))
    force_state(draft_call, CallState.DECIDED)
    assert client.get(edit_url(draft_call)).status_code == 302
    page = client.get(reverse("portal:office_rubric", args=[draft_call.pk]))
    assert page.status_code == 200
    assert "运行成效" in text(page)
    assert edit_url(draft_call) not in text(page)


def test_editor_queries_do_not_grow_with_rows(client, office, staff):
    def call_with(n: int):
        call = CallFactory(office=office)
        specs = [
            IndicatorSpec(code=str(i), name=f"指标{i}", level=1, weight=Decimal(100) / n)
            for i in range(1, n + 1)
        ]
        rubric_create(name="细则", specs=specs, by=staff, call=call)
        return call

    def count(call) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(edit_url(call))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    small, large = call_with(2), call_with(40)
    assert len(client.get(edit_url(large)).context["formset"].initial_forms) == 40
    assert count(small) == count(large)
    view = reverse("portal:office_rubric", args=[small.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(view)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("portal:office_rubric", args=[large.pk]))
    assert len(few.captured_queries) == len(many.captured_queries)


# Who may ------------------------------------------------------------------------------------


def refused_users(office):
    return {
        "applicant": member(Role.APPLICANT, OrganisationFactory()),
        "expert": ExpertFactory().user,
        "approver": member(Role.DEPARTMENT_APPROVER, DepartmentFactory()),
        "director": member(Role.OFFICE_DIRECTOR, office),
        "other office staff": member(Role.OFFICE_STAFF, OfficeFactory()),
        "supervisor": member(Role.SUPERVISOR, OfficeFactory()),
    }


def test_refused_roles_change_nothing(office, draft_call):
    urls = [
        new_url(),
        reverse("portal:office_call_edit", args=[draft_call.pk]),
        edit_url(draft_call),
    ]
    posts = [terms_data(), terms_data(title="被拒绝"), rows_post(TREE)]
    before = (Call.objects.count(), audit_count(), Indicator.objects.count())
    for user in refused_users(office).values():
        client = logged_in(user)
        for url, data in zip(urls, posts, strict=True):
            if url == new_url() and user.memberships.filter(role=Role.OFFICE_STAFF).exists():
                continue  # staff of another office may draft calls for their own office
            for response in (client.get(url), client.post(url, data)):
                assert response.status_code in (403, 404), (user, url, response.status_code)
    anonymous = Client()
    for url, data in zip(urls, posts, strict=True):
        for response in (anonymous.get(url), anonymous.post(url, data)):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
    assert (Call.objects.count(), audit_count(), Indicator.objects.count()) == before
    draft_call.refresh_from_db()
    assert draft_call.title != "被拒绝"


def test_staff_of_another_office_get_404_on_a_call(draft_call):
    other = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    for name in ("office_call_edit", "office_rubric_edit", "office_rubric"):
        assert other.get(reverse(f"portal:{name}", args=[draft_call.pk])).status_code == 404


def test_director_reads_the_rubric_but_cannot_edit(office, draft_call, client):
    client.post(edit_url(draft_call), rows_post(TREE))
    director = logged_in(member(Role.OFFICE_DIRECTOR, office))
    page = director.get(reverse("portal:office_rubric", args=[draft_call.pk]))
    assert page.status_code == 200
    assert "建设基础" in text(page)
    assert edit_url(draft_call) not in text(page)
    assert director.get(edit_url(draft_call)).status_code == 403
    detail = text(director.get(reverse("portal:office_call_detail", args=[draft_call.pk])))
    assert edit_url(draft_call) not in detail
    assert reverse("portal:office_call_new") not in text(
        director.get(reverse("portal:office_call_list"))
    )
