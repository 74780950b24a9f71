"""The office's review pages through HTTP: ranking, confirmation, exports, values, sheets."""

import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import (
    OfficeFactory,
    force_state,
    member,
    published_call,
    review_call,
    review_panel,
    submit_at,
)
from tests.portal.helpers import logged_in, text
from workflow.choices import ApplicationState, AssignmentState, Role
from workflow.models import Application, Rubric, VerifiedValue
from workflow.selectors.scoring import call_rubric_tree
from workflow.services.rubrics import rubric_load_sample
from workflow.services.scoring import values_verify

pytestmark = pytest.mark.django_db


def verify(staff, applications):
    for n, application in enumerate(applications):
        values_verify(
            application=application,
            by=staff,
            values={
                "6.3": (str(1000 - 100 * n), "核对"),
                "6.4": ("10", "核对"),
                "7": ("0", ""),
                "8": ("0", ""),
                "9": ("0", ""),
            },
        )


@pytest.fixture
def scored():
    """Three applications, three experts, every sheet submitted, every value verified."""
    call, staff, applications = review_call(applications=3, quota=1)
    draw, sheets = review_panel(call, applications, experts=3)
    shares = dict(zip([a.pk for a in applications], ["0.7", "0.8", "0.9"], strict=True))
    for rows in sheets.values():
        for sheet in rows:
            submit_at(sheet, shares[sheet.application_id])
    verify(staff, applications)
    return call, staff, applications, draw, sheets


def urls(call):
    return {
        "ranking": reverse("portal:office_ranking", args=[call.pk]),
        "public": reverse("portal:office_ranking_export_public", args=[call.pk]),
        "sheets": reverse("portal:office_ranking_export_sheets", args=[call.pk]),
        "values": reverse("portal:office_values", args=[call.pk]),
        "rubric": reverse("portal:office_ranking_settings", args=[call.pk]),
    }


def test_the_ranking_page_and_confirmation(scored):
    call, staff, applications, _draw, sheets = scored
    client = logged_in(staff)
    response = client.get(urls(call)["ranking"])
    assert response.status_code == 200
    page = text(response)
    assert "the ranking is final" in page
    assert page.index("实训基地建设项目3") < page.index("实训基地建设项目1")
    assert "Proposed" in page and "How the ranking is decided" in page
    for expert in sheets:
        assert expert.name in page  # the office sees who scored

    confirm = reverse("portal:office_ranking_confirm", args=[call.pk])
    assert client.get(confirm).status_code == 405
    response = client.post(confirm, {"reason": "经集体研究"})
    assert response.status_code == 302
    states = dict(Application.objects.filter(call=call).values_list("pk", "state"))
    assert states[applications[2].pk] == ApplicationState.SHORTLISTED
    assert states[applications[0].pk] == ApplicationState.NOT_SELECTED
    page = text(client.get(urls(call)["ranking"]))
    assert "The shortlist is confirmed." in page and "Confirm the shortlist" not in page


def test_confirmation_is_refused_while_the_ranking_is_not_final():
    call, staff, applications = review_call(applications=2)
    _draw, _sheets = review_panel(call, applications, experts=2)
    client = logged_in(staff)
    page = text(client.get(urls(call)["ranking"]))
    assert "The ranking is not final yet" in page and "not submitted" in page
    response = client.post(reverse("portal:office_ranking_confirm", args=[call.pk]), follow=True)
    assert "The ranking is not final yet." in text(response)
    assert set(Application.objects.filter(call=call).values_list("state", flat=True)) == {
        ApplicationState.UNDER_REVIEW
    }
    workbook = load_workbook(io.BytesIO(client.get(urls(call)["public"]).content))
    cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert "Provisional: the ranking is not final yet." in cells


def test_office_pages_refuse_every_other_role(scored):
    call, _staff, applications, _draw, sheets = scored
    expert = next(iter(sheets))
    sheet_url = reverse("portal:office_sheet", args=[sheets[expert][0].pk])
    reopen_url = reverse("portal:office_sheet_reopen", args=[sheets[expert][0].pk])
    verify_url = reverse("portal:office_values_verify", args=[call.pk, applications[0].pk])
    confirm_url = reverse("portal:office_ranking_confirm", args=[call.pk])
    gets = [*urls(call).values(), sheet_url, verify_url]
    posts = [confirm_url, reopen_url, verify_url]
    other_office = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    for url in gets:
        assert other_office.get(url).status_code == 404, url
    for url in posts:
        assert other_office.post(url, {"reason": "x"}).status_code == 404, url
    applicant = logged_in(member(Role.APPLICANT, applications[0].organisation))
    for client in (applicant, logged_in(expert.user)):
        for url in gets:
            assert client.get(url).status_code == 403, url
        for url in posts:
            assert client.post(url, {"reason": "x"}).status_code == 403, url
    for url in gets:
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert set(Application.objects.filter(call=call).values_list("state", flat=True)) == {
        ApplicationState.UNDER_REVIEW
    }


def test_a_director_sees_the_ranking_but_staff_confirm(scored):
    call, _staff, _apps, _draw, _sheets = scored
    director = logged_in(member(Role.OFFICE_DIRECTOR, call.office))
    assert director.get(urls(call)["ranking"]).status_code == 200
    response = director.post(reverse("portal:office_ranking_confirm", args=[call.pk]), follow=True)
    assert "Only staff of the office" in text(response)


def test_the_public_export_names_no_expert(scored):
    call, staff, _apps, _draw, sheets = scored
    response = logged_in(staff).get(urls(call)["public"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    header = next(row for row in workbook.active.iter_rows(values_only=True) if row[0] == "Rank")
    assert header[3:6] == ("Expert 1", "Expert 2", "Expert 3")
    for expert in sheets:
        assert all(expert.name not in c for c in cells)
        assert all(expert.user.get_username() not in c for c in cells)
    assert any("实训基地建设项目3" in c for c in cells)


def test_the_archive_export_carries_signed_sheets(scored):
    call, staff, _apps, _draw, sheets = scored
    response = logged_in(staff).get(urls(call)["sheets"])
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 1 + len(sheets)
    expert = next(iter(sheets))
    sheet = next(ws for ws in workbook.worksheets[1:] if expert.name in ws.title)
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any(isinstance(c, str) and len(c) == 64 for c in cells)  # the sheets' digests
    assert "依据申报材料评分" in cells


def test_values_are_verified_through_http():
    call, staff, applications = review_call(applications=2)
    application = applications[0]
    application.indicator_values = {"6.3": "1500"}
    application.save(update_fields=["indicator_values"])
    client = logged_in(staff)
    overview = text(client.get(urls(call)["values"]))
    assert "0 / 5" in overview
    url = reverse("portal:office_values_verify", args=[call.pk, application.pk])
    page = text(client.get(url))
    assert 'value="1500' in page  # the declared value is offered
    tree = call_rubric_tree(call)
    field = {i.code: i.pk for i in tree.verifiable}
    data = {f"value_{field['6.3']}": "1200", f"note_{field['6.3']}": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and "differs from the declared" in text(response)
    response = client.post(url, {**data, f"value_{field['6.4']}": "abc"})
    assert response.status_code == 200 and "errorlist" in text(response)
    data[f"note_{field['6.3']}"] = "按培训台账核减"
    data[f"value_{field['7']}"] = "0"
    response = client.post(url, data)
    assert response.status_code == 302
    assert VerifiedValue.objects.get(
        application=application, indicator_id=field["6.3"]
    ).verified == (D(1200))
    assert "2 / 5" in text(client.get(urls(call)["values"]))


def test_office_sheet_hides_marks_until_submitted_and_reopens_with_a_reason():
    call, staff, applications = review_call(applications=1)
    _draw, sheets = review_panel(call, applications, experts=1)
    sheet = next(iter(sheets.values()))[0]
    client = logged_in(staff)
    url = reverse("portal:office_sheet", args=[sheet.pk])
    assert "shown once the expert submits" in text(client.get(url))
    submit_at(sheet, "0.8")
    page = text(client.get(url))
    assert "依据申报材料评分" in page and "72.00" in page and "Reopen" in page
    reopen = reverse("portal:office_sheet_reopen", args=[sheet.pk])
    response = client.post(reopen, {"reason": ""})
    assert response.status_code == 200 and "errorlist" in text(response)
    response = client.post(reopen, {"reason": "5.1项评分偏高，请复核"})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.state == AssignmentState.REOPENED
    expert_page = text(
        logged_in(sheet.expert.user).get(reverse("portal:expert_sheet", args=[sheet.pk]))
    )
    assert "5.1项评分偏高，请复核" in expert_page and 'value="submit"' in expert_page
    assert "Reopened by the office" in text(client.get(url))


def test_rubric_chosen_from_a_template_and_its_settings():
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    template = rubric_load_sample(key="shanxi", by=None)
    client = logged_in(staff)
    url = urls(call)["rubric"]
    assert "Use this rubric" in text(client.get(url))
    assert client.post(url, {"template": "999999"}).status_code == 200
    assert client.post(url, {"template": template.pk}).status_code == 302
    rubric = Rubric.objects.get(call=call)
    assert rubric.indicators.count() == 25
    settings = {
        "name": rubric.name,
        "aggregation": "median",
        "dispersion_margin": "10",
        "abnormal_low_ratio": "0.9",
        "abnormal_high_ratio": "0.5",
    }
    response = client.post(url, settings)
    assert response.status_code == 200 and "Must be above the low bound." in text(response)
    settings.update(abnormal_low_ratio="0.5", abnormal_high_ratio="0.9")
    assert client.post(url, settings).status_code == 302
    rubric.refresh_from_db()
    assert (rubric.aggregation, rubric.abnormal_high_ratio) == ("median", D("0.90"))


def test_expert_names_never_reach_the_applicant(scored):
    call, staff, applications, _draw, sheets = scored
    logged_in(staff).post(reverse("portal:office_ranking_confirm", args=[call.pk]))
    applicant = logged_in(member(Role.APPLICANT, applications[0].organisation))
    pages = [
        text(applicant.get(reverse("portal:application_detail", args=[applications[0].pk]))),
        text(Client().get(reverse("portal:call_detail", args=[call.pk]))),
    ]
    for expert in sheets:
        for page in pages:
            assert expert.name not in page


def test_review_pages_cost_the_same_whatever_the_number_of_applications():
    def measure(n):
        call, staff, applications = review_call(applications=n)
        _draw, sheets = review_panel(call, applications, experts=2)
        for rows in sheets.values():
            for sheet in rows:
                submit_at(sheet, "0.8")
        verify(staff, applications)
        client = logged_in(staff)
        counts = {}
        for name in ("ranking", "values"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(urls(call)[name]).status_code == 200
            counts[name] = len(ctx.captured_queries)
        return counts

    assert measure(2) == measure(6)


def test_a_call_without_rubric_says_so(db):
    call, staff, _applications = review_call(applications=1, rubric=None)
    client = logged_in(staff)
    assert "has no rubric yet" in text(client.get(urls(call)["ranking"]))
    assert client.get(urls(call)["public"]).status_code == 302
    assert "has no rubric yet" in text(client.get(urls(call)["values"]))
    force_state(call, "publicity")
    assert client.get(urls(call)["ranking"]).status_code == 200
