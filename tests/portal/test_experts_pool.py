"""The expert pool pages: who gets in, filters, query counts, the Excel upload and download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import Job
from tests.factories import (
    ExpertFactory,
    ExpertRelationFactory,
    OfficeFactory,
    OrganisationFactory,
    UserFactory,
    member,
)
from tests.jobs.conftest import run_worker
from tests.portal.helpers import audit_count, logged_in, text
from tests.workflow.test_experts_excel import GOOD, xlsx
from workflow.choices import ExpertRelationKind as K
from workflow.choices import Role
from workflow.experts_excel import COL_NAME, COL_PHONE, COL_YEARS, parse_workbook
from workflow.models import Expert
from workflow.services import experts as svc

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def pool_staff(db):
    """Staff of some office: the pool is provincial, any office's staff maintain it."""
    return member(Role.OFFICE_STAFF, OfficeFactory())


@pytest.fixture
def pool_client(pool_staff):
    return logged_in(pool_staff)


@pytest.fixture
def expert(db):
    return ExpertRelationFactory(kind=K.DIRECTOR, ended_on=None).expert


@pytest.fixture
def relation_orgs(db):
    for name in ("太原理工大学", "山西汽车集团", "晋能控股集团", "某科技公司", "某投资公司"):
        OrganisationFactory(name=name)
    OrganisationFactory(name="某材料公司")
    OrganisationFactory(name="某职业学院")


def read_urls(expert):
    return [reverse("portal:expert_pool"), reverse("portal:expert_pool_detail", args=[expert.pk])]


def manage_urls(expert):
    return {
        "get": [
            reverse("portal:expert_pool_new"),
            reverse("portal:expert_pool_edit", args=[expert.pk]),
            reverse("portal:expert_pool_import"),
            reverse("portal:expert_pool_export"),
        ],
        "post": [
            reverse("portal:expert_pool_new"),
            reverse("portal:expert_pool_edit", args=[expert.pk]),
            reverse("portal:expert_pool_import"),
            reverse("portal:expert_pool_export"),
            reverse("portal:expert_pool_deactivate", args=[expert.pk]),
            reverse("portal:expert_pool_activate", args=[expert.pk]),
        ],
    }


# Who gets in -------------------------------------------------------------------------------


def test_office_staff_of_any_office_get_every_page(pool_client, expert):
    for url in read_urls(expert) + manage_urls(expert)["get"]:
        assert pool_client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["applicant", "expert", "department", "no role"])
def test_other_roles_get_403(who, expert):
    user = {
        "applicant": lambda: member(Role.APPLICANT, OrganisationFactory()),
        "expert": lambda: expert.user,
        "department": lambda: member(
            Role.DEPARTMENT_APPROVER, OfficeFactory().departments.create(name="省教育厅")
        ),
        "no role": UserFactory,
    }[who]()
    client = logged_in(user)
    before = audit_count()
    for url in read_urls(expert) + manage_urls(expert)["get"]:
        assert client.get(url).status_code == 403, url
    for url in manage_urls(expert)["post"]:
        assert client.post(url, {"name": "改"}).status_code == 403, url
    assert audit_count() == before
    assert Expert.objects.get(pk=expert.pk).active


def test_a_director_reads_but_does_not_manage(expert):
    client = logged_in(member(Role.OFFICE_DIRECTOR, OfficeFactory()))
    for url in read_urls(expert):
        response = client.get(url)
        assert response.status_code == 200, url
        assert reverse("portal:expert_pool_new") not in text(response)
    for url in manage_urls(expert)["get"]:
        assert client.get(url).status_code == 403, url
    for url in manage_urls(expert)["post"]:
        assert client.post(url).status_code == 403, url


def test_anonymous_is_sent_to_login(expert):
    client = Client()
    urls = read_urls(expert) + manage_urls(expert)["get"]
    for url in urls + manage_urls(expert)["post"]:
        response = client.post(url) if url in manage_urls(expert)["post"] else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_an_unknown_expert_is_404(pool_client):
    assert pool_client.get(reverse("portal:expert_pool_detail", args=[99999])).status_code == 404


# List, filters, queries ----------------------------------------------------------------------


def test_filters(pool_client):
    ExpertFactory(name="甲", sectors=["新能源汽车", "智能制造"], region="太原市")
    ExpertFactory(name="乙", sectors=["现代农业"], region="大同市")
    ExpertFactory(name="丙", sectors=["智能制造"], region="太原市", active=False)

    def names(**params):
        response = pool_client.get(reverse("portal:expert_pool"), params)
        assert response.status_code == 200
        return [e.name for e in response.context["experts"]]

    assert names() == ["甲", "乙", "丙"]
    assert names(sector="智能制造") == ["甲", "丙"]
    assert names(region="大同市") == ["乙"]
    assert names(active="yes") == ["甲", "乙"]
    assert names(active="no", sector="智能制造") == ["丙"]
    assert names(q="乙") == ["乙"]
    assert names(sector="不存在") == ["甲", "乙", "丙"]  # an unknown choice is ignored
    page = text(pool_client.get(reverse("portal:expert_pool")))
    assert "新能源汽车、智能制造" in page


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", ["", "?sector=新能源汽车&region=太原市&active=yes&q=专家"])
def test_pool_list_costs_the_same_for_2_and_6_experts(pool_client, params):
    url = reverse("portal:expert_pool") + params

    def add(n):
        for _ in range(n):
            relation = ExpertRelationFactory()
            ExpertRelationFactory(expert=relation.expert, kind=K.SHAREHOLDER, ended_on=None)

    add(2)
    small = count_queries(pool_client, url)
    add(4)
    assert len(pool_client.get(url).context["experts"]) == 6
    assert count_queries(pool_client, url) == small


def test_detail_shows_relations_and_history(pool_client, expert):
    page = text(pool_client.get(reverse("portal:expert_pool_detail", args=[expert.pk])))
    relation = expert.relations.get()
    assert relation.organisation.name in page
    assert "Director" in page


# Forms -----------------------------------------------------------------------------------


def test_add_edit_and_deactivate_through_the_pages(pool_client, relation_orgs):
    data = {
        "name": "孙立",
        "phone": "13600000000",
        "employer": "太原理工大学",
        "title": "高级职称",
        "years_of_work": "12",
        "sectors": "新能源汽车、智能制造",
        "region": "太原市",
        "former_employers": "山西汽车集团|2023-01-01",
        "board_roles": "某科技公司|监事",
        "shareholdings": "",
        "kinships": "某职业学院|李某|配偶",
    }
    response = pool_client.post(reverse("portal:expert_pool_new"), data)
    expert = Expert.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:expert_pool_detail", args=[expert.pk])
    assert expert.sectors == ["新能源汽车", "智能制造"]
    assert sorted(expert.relations.values_list("kind", flat=True)) == sorted(
        [K.FORMER_EMPLOYER, K.SUPERVISOR, K.KINSHIP]
    )

    edit = reverse("portal:expert_pool_edit", args=[expert.pk])
    form = pool_client.get(edit).context["form"]
    assert form.initial["former_employers"] == "山西汽车集团|2023-01-01"
    response = pool_client.post(edit, {**data, "kinships": "", "years_of_work": "13"})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.years_of_work == 13
    assert expert.relations.count() == 2

    pool_client.post(
        reverse("portal:expert_pool_deactivate", args=[expert.pk]), {"active-reason": "退休"}
    )
    expert.refresh_from_db()
    assert expert.active is False


def test_form_reports_notation_and_unknown_organisations(pool_client, relation_orgs):
    data = {
        "name": "孙立",
        "title": "高级职称",
        "years_of_work": "12",
        "region": "太原市",
        "former_employers": "山西汽车集团",
        "board_roles": "无此公司|董事",
    }
    response = pool_client.post(reverse("portal:expert_pool_new"), data)
    assert response.status_code == 200
    assert "单位名称|离职日期" in str(response.context["form"].errors["former_employers"])
    response = pool_client.post(reverse("portal:expert_pool_new"), {**data, "former_employers": ""})
    assert response.status_code == 200
    assert "“无此公司” is not a registered organisation" in text(response)
    assert not Expert.objects.exists()


# Excel -------------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "专家库.xlsx"):
    return client.post(
        reverse("portal:expert_pool_import"),
        {"file": SimpleUploadedFile(name, content, XLSX)},
    )


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ("姓名,职称\n王德明,高级职称\n".encode(), "专家库.xlsx"),
        (b"%PDF-1.7 not a workbook", "专家库.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "专家库.xls"),
    ],
    ids=["csv-named-xlsx", "pdf", "old-xls"],
)
def test_a_non_xlsx_upload_gets_a_clear_message_and_changes_nothing(
    pool_client, expert, content, name
):
    before, count = audit_count(), Expert.objects.count()
    response = upload(pool_client, content, name)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert "Excel workbook (.xlsx)" in text(response)
    assert not Job.objects.exists()
    assert audit_count() == before and Expert.objects.count() == count


def test_an_oversized_upload_is_refused(pool_client, monkeypatch):
    import portal.forms_experts

    monkeypatch.setattr(portal.forms_experts, "IMPORT_MAX_BYTES", 10)
    response = upload(pool_client, xlsx([GOOD]))
    assert "larger than the limit" in text(response)
    assert not Expert.objects.exists()


def imported(client, content: bytes):
    """Upload, let the worker run the import, and return its progress page."""
    response = upload(client, content)
    assert response.status_code == 302, text(response)
    run_worker()
    return client.get(response["Location"])


def test_upload_reports_good_and_bad_rows(pool_client, relation_orgs):
    bad = {**GOOD, COL_NAME: "赵敏", COL_PHONE: "13900000009", COL_YEARS: "很多"}
    response = imported(pool_client, xlsx([GOOD, bad]))
    assert response.status_code == 200
    result = response.context["import_report"]
    assert [r["row"] for r in result["created"]] == [2]
    assert [r["row"] for r in result["errors"]] == [3]
    page = text(response)
    assert "赵敏" in page and "“很多” is not a whole number of years" in page
    assert list(Expert.objects.values_list("name", flat=True)) == ["王德明"]


def test_the_download_reimports_without_change(pool_client, relation_orgs):
    imported(pool_client, xlsx([GOOD]))
    started = pool_client.post(reverse("portal:expert_pool_export"))
    assert started.status_code == 302
    run_worker()
    job = Job.objects.filter(kind="expert_export").get()
    response = pool_client.get(reverse("portal:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert parse_workbook(content).rows[0].entry.name == "王德明"
    before = audit_count()
    again = imported(pool_client, content)
    assert [r["row"] for r in again.context["import_report"]["unchanged"]] == [2]
    assert audit_count() == before


def test_the_import_size_limit_matches_the_service():
    import portal.forms_experts

    assert portal.forms_experts.IMPORT_MAX_BYTES == svc.IMPORT_MAX_BYTES == 5 * 1024 * 1024


def test_pages_render_in_chinese_by_default(pool_staff, expert, relation_orgs):
    client = logged_in(pool_staff, lang=None)
    urls = read_urls(expert) + manage_urls(expert)["get"][:3]
    urls.append(reverse("portal:office_avoidance_list"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-hans">' in text(response), url
    response = imported(client, xlsx([GOOD, {**GOOD, COL_YEARS: "x"}]))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in text(response)
    assert response.context["import_report"]["errors"]


def test_an_import_without_a_file_asks_for_one(pool_client):
    response = pool_client.post(reverse("portal:expert_pool_import"))
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Job.objects.exists()
