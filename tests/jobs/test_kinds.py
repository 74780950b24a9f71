"""The three background operations end to end through HTTP: queued from the portal page, run
by the worker, downloaded and opened."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jobs.kinds import (
    CERTIFICATES,
    EXPERT_EXPORT,
    EXPERT_IMPORT,
    RANKING_EXPORT,
    REGISTER_EXPORT,
)
from jobs.models import Job, JobState
from tests.factories import OfficeFactory, OrganisationFactory, complete_application, member
from tests.factories_aftercare import awarded_project
from tests.jobs.conftest import run_worker
from tests.portal.helpers import audit_count, logged_in, text
from tests.portal.test_ranking import scored  # noqa: F401  (a fixture)
from tests.workflow.test_experts_excel import GOOD, xlsx
from workflow import certificates
from workflow.choices import Role
from workflow.experts_excel import COL_NAME, COL_PHONE, COL_YEARS, parse_workbook
from workflow.models import Expert, Membership
from workflow.services import award as award_svc
from workflow.services.applications import application_submit

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def pool_staff(db):
    return member(Role.OFFICE_STAFF, OfficeFactory())


@pytest.fixture
def relation_orgs(db):
    for name in (
        "太原理工大学",
        "山西汽车集团",
        "晋能控股集团",
        "某科技公司",
        "某投资公司",
        "某材料公司",
        "某职业学院",
    ):
        OrganisationFactory(name=name)


def the_job(response) -> Job:
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("portal:job_detail", args=[job.pk])
    return job


def download(client, job) -> bytes:
    response = client.get(reverse("portal:job_download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# Expert import ------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "专家库.xlsx"):
    return client.post(
        reverse("portal:expert_pool_import"), {"file": SimpleUploadedFile(name, content, XLSX)}
    )


def test_the_import_runs_in_the_background_and_reports_every_row(pool_staff, relation_orgs):
    client = logged_in(pool_staff)
    bad = {**GOOD, COL_NAME: "赵敏", COL_PHONE: "13900000009", COL_YEARS: "很多"}
    job = the_job(upload(client, xlsx([GOOD, bad])))
    assert job.kind == EXPERT_IMPORT and job.owner == pool_staff
    assert not Expert.objects.exists()  # nothing imported in the request

    before = audit_count()
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert list(Expert.objects.values_list("name", flat=True)) == ["王德明"]
    assert audit_count() == before + 1  # the import service audits, the job does not
    assert [r["row"] for r in job.report["created"]] == [2]
    assert [r["row"] for r in job.report["errors"]] == [3]
    assert job.progress_done == job.progress_total > 0
    assert job.message == "1 added, 0 updated, 0 unchanged, 1 not imported."

    page = text(client.get(reverse("portal:job_detail", args=[job.pk])))
    assert "Import report" in page
    assert "赵敏" in page and "“很多” is not a whole number of years" in page
    expert = Expert.objects.get()
    assert reverse("portal:expert_pool_detail", args=[expert.pk]) in page


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("姓名,职称\n王德明,高级职称\n".encode(), "专家库.xlsx", None),
        (b"%PDF-1.7 not a workbook", "专家库.xlsx", None),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "专家库.xls", None),
        (b"", "专家库.xlsx", "empty"),
        (xlsx([]), "专家库.xlsx", "no experts"),
        (xlsx([GOOD], header=[COL_NAME, COL_PHONE]), "专家库.xlsx", "lacks these columns"),
    ],
    ids=["csv-named-xlsx", "pdf", "old-xls", "empty", "no-rows", "missing-columns"],
)
def test_a_bad_upload_gets_a_clear_message_and_no_job(pool_staff, content, name, message):
    response = upload(logged_in(pool_staff), content, name)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    if message:
        assert message in text(response)
    assert not Job.objects.exists() and not Expert.objects.exists()


def test_an_oversized_upload_is_refused_without_a_job(pool_staff, monkeypatch):
    import portal.forms_experts

    monkeypatch.setattr(portal.forms_experts, "IMPORT_MAX_BYTES", 10)
    response = upload(logged_in(pool_staff), xlsx([GOOD]))
    assert "larger than the limit" in text(response)
    assert not Job.objects.exists()


def test_the_import_rechecks_the_role_when_it_runs(pool_staff, relation_orgs):
    job = the_job(upload(logged_in(pool_staff), xlsx([GOOD])))
    Membership.objects.filter(user=pool_staff).delete()  # no longer office staff
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "Only office staff may maintain the expert pool." in job.error
    assert not Expert.objects.exists()


@pytest.mark.parametrize("role", [Role.OFFICE_DIRECTOR, Role.APPLICANT])
def test_others_may_not_start_an_import_or_export(role):
    unit = OrganisationFactory() if role == Role.APPLICANT else OfficeFactory()
    client = logged_in(member(role, unit))
    assert upload(client, xlsx([GOOD])).status_code == 403
    assert client.post(reverse("portal:expert_pool_export")).status_code == 403
    assert not Job.objects.exists()


def test_anonymous_may_not_start_an_import_or_export():
    for response in (
        upload(Client(), xlsx([GOOD])),
        Client().post(reverse("portal:expert_pool_export")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not Job.objects.exists()


# Expert pool export -------------------------------------------------------------------------


def test_the_pool_export_is_made_in_the_background(pool_staff, relation_orgs):
    client = logged_in(pool_staff)
    the_job(upload(client, xlsx([GOOD])))
    run_worker()
    Job.objects.all().delete()

    page = text(client.get(reverse("portal:expert_pool")))
    assert f'action="{reverse("portal:expert_pool_export")}"' in page
    direct = client.get(reverse("portal:expert_pool_export"))  # small pools: at once
    assert direct.status_code == 200 and not Job.objects.exists()
    job = the_job(client.post(reverse("portal:expert_pool_export")))
    assert job.kind == EXPERT_EXPORT
    run_worker()
    content = download(client, job)
    workbook = load_workbook(io.BytesIO(content))
    assert "专家库" in workbook.sheetnames
    assert parse_workbook(content).rows[0].entry.name == "王德明"
    job.refresh_from_db()
    assert job.result_name.endswith(".xlsx") and job.result_name.startswith("专家库-")


# Ranking export -----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["public", "sheets"])
def test_the_ranking_export_is_made_in_the_background(scored, variant):  # noqa: F811
    call, staff, _applications, _draw, sheets = scored
    client = logged_in(staff)
    page = text(client.get(reverse("portal:office_ranking", args=[call.pk])))
    start = reverse("portal:office_ranking_export_start", args=[call.pk, variant])
    assert f'action="{start}"' in page
    job = the_job(client.post(start))
    assert job.kind == RANKING_EXPORT and job.params == {"call": call.pk, "variant": variant}
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    workbook = load_workbook(io.BytesIO(download(client, job)))
    cells = [str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c]
    assert any("实训基地建设项目" in c for c in cells)
    if variant == "public":
        assert not any(expert.name in c for expert in sheets for c in cells)


def test_the_ranking_export_is_refused_to_other_offices_and_unknown_variants(scored):  # noqa: F811
    call, staff, *_ = scored
    other = logged_in(member(Role.OFFICE_STAFF, OfficeFactory()))
    assert (
        other.post(
            reverse("portal:office_ranking_export_start", args=[call.pk, "public"])
        ).status_code
        == 404
    )
    own = logged_in(staff)
    assert (
        own.post(
            reverse("portal:office_ranking_export_start", args=[call.pk, "everything"])
        ).status_code
        == 404
    )
    assert (
        own.get(reverse("portal:office_ranking_export_start", args=[call.pk, "public"])).status_code
        == 405
    )
    applicant = logged_in(member(Role.APPLICANT, OrganisationFactory()))
    assert (
        applicant.post(
            reverse("portal:office_ranking_export_start", args=[call.pk, "public"])
        ).status_code
        == 403
    )
    assert not Job.objects.exists()


def test_the_ranking_export_rechecks_the_office_when_it_runs(scored):  # noqa: F811
    call, staff, *_ = scored
    job = the_job(
        logged_in(staff).post(
            reverse("portal:office_ranking_export_start", args=[call.pk, "sheets"])
        )
    )
    Membership.objects.filter(user=staff).delete()
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not job.result
    assert "Only members of the call's office" in job.error


# Award certificates -------------------------------------------------------------------------


@pytest.fixture
def awarded():
    """Three plaques of one office: one recorded at the award, one not, one tampered with."""
    first = awarded_project()
    office, staff = first.office, first.staff
    made = [first, awarded_project(office=office, staff=staff), awarded_project(office=office)]
    recorded, _unrecorded, tampered = (m.award for m in made)
    digest = certificates.sha256(
        certificates.certificate_pdf(award_svc.certificate_content(recorded))
    )
    type(recorded).objects.filter(pk=recorded.pk).update(certificate_sha256=digest)
    type(tampered).objects.filter(pk=tampered.pk).update(certificate_sha256="0" * 64)
    awarded_project()  # another office's plaque, not in the batch
    return office, staff, [m.award for m in made]


def test_the_certificates_of_an_office_come_as_one_zip(awarded):
    office, staff, awards = awarded
    client = logged_in(staff)
    page = text(client.get(reverse("portal:office_acceptance_list")))
    assert f'action="{reverse("portal:award_certificates_start")}"' in page
    job = the_job(client.post(reverse("portal:award_certificates_start"), {"office": office.pk}))
    assert job.kind == CERTIFICATES
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert "3 certificates; 1 differ" in job.message
    archive = zipfile.ZipFile(io.BytesIO(download(client, job)))
    names = sorted(archive.namelist())
    assert names == sorted([f"certificate-{a.pk}.pdf" for a in awards] + ["manifest.csv"])
    for award in awards:
        pdf = archive.read(f"certificate-{award.pk}.pdf")
        assert pdf.startswith(b"%PDF")
    rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert rows[0][0] == "File" and len(rows) == 4
    checks = {row[0]: row[-1] for row in rows[1:]}
    assert checks[f"certificate-{awards[0].pk}.pdf"] == "identical to the certificate issued"
    assert checks[f"certificate-{awards[1].pk}.pdf"] == "not recorded"
    assert checks[f"certificate-{awards[2].pk}.pdf"] == "DIFFERS from the certificate issued"
    assert rows[1][1] == awards[0].number


def test_a_director_may_batch_the_certificates(awarded):
    office, _staff, _awards = awarded
    director = member(Role.OFFICE_DIRECTOR, office)
    client = logged_in(director)
    job = the_job(client.post(reverse("portal:award_certificates_start"), {"office": office.pk}))
    run_worker()
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


@pytest.mark.parametrize("office_value", ["other", "", "abc", "99999999999999999999"])
def test_certificates_of_another_office_are_refused(awarded, office_value):
    office, _staff, _awards = awarded
    outsider = member(Role.OFFICE_STAFF, OfficeFactory())
    value = office.pk if office_value == "other" else office_value
    response = logged_in(outsider).post(
        reverse("portal:award_certificates_start"), {"office": value}
    )
    assert response.status_code == 404
    assert not Job.objects.exists()


def test_certificates_are_refused_to_non_office_roles(awarded):
    office, *_ = awarded
    for client in (
        logged_in(member(Role.APPLICANT, OrganisationFactory())),
        logged_in(member(Role.SUPERVISOR, office)),
    ):
        response = client.post(reverse("portal:award_certificates_start"), {"office": office.pk})
        assert response.status_code in (403, 404)
    response = Client().post(reverse("portal:award_certificates_start"), {"office": office.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Job.objects.exists()


def test_an_office_without_plaques_gets_a_clear_message(db):
    staff = member(Role.OFFICE_STAFF, OfficeFactory())
    client = logged_in(staff)
    office = staff.memberships.get().office
    response = client.post(reverse("portal:award_certificates_start"), {"office": office.pk})
    assert response.status_code == 302
    assert "has not awarded any plaque" in text(client.get(response["Location"]))
    assert not Job.objects.exists()


def test_the_certificates_recheck_the_office_when_they_run(awarded):
    office, staff, _awards = awarded
    job = the_job(
        logged_in(staff).post(reverse("portal:award_certificates_start"), {"office": office.pk})
    )
    Membership.objects.filter(user=staff, office=office).delete()
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not job.result


# The application register -------------------------------------------------------------------


def test_the_register_is_made_in_the_background():
    submitted = complete_application()
    call = submitted.call
    application_submit(application=submitted, by=member(Role.APPLICANT, submitted.organisation))
    draft = complete_application(call=call, organisation=OrganisationFactory())
    client = logged_in(member(Role.OFFICE_STAFF, call.office))
    job = the_job(client.post(reverse("portal:office_register_export_start", args=[call.pk])))
    assert job.kind == REGISTER_EXPORT
    run_worker()
    workbook = load_workbook(io.BytesIO(download(client, job)))
    names = {c for row in workbook.active.iter_rows(values_only=True) for c in row if c}
    assert submitted.organisation.name in names
    assert draft.organisation.name not in names
    assert "-register-" in Job.objects.get(pk=job.pk).result_name


def test_the_register_is_refused_to_other_offices_and_roles():
    call = complete_application().call
    url = reverse("portal:office_register_export_start", args=[call.pk])
    assert logged_in(member(Role.OFFICE_STAFF, OfficeFactory())).post(url).status_code == 404
    assert logged_in(member(Role.APPLICANT, OrganisationFactory())).post(url).status_code == 403
    assert Client().post(url).status_code == 302
    assert logged_in(member(Role.OFFICE_STAFF, call.office)).get(url).status_code == 405
    assert not Job.objects.exists()


# What the import leaves behind ----------------------------------------------------------------


def test_the_uploaded_sheet_is_deleted_once_imported(
    pool_staff, relation_orgs, django_capture_on_commit_callbacks
):
    job = the_job(upload(logged_in(pool_staff), xlsx([GOOD])))
    stored = job.upload.name
    assert stored and job.upload.storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and not job.upload
    assert not job.upload.storage.exists(stored)


def test_the_import_reports_progress_and_imports_the_same(pool_staff, relation_orgs):
    from workflow.services.experts import experts_import

    calls = []
    bad = {**GOOD, COL_NAME: "赵敏", COL_PHONE: "13900000009", COL_YEARS: "很多"}
    second = {**GOOD, COL_NAME: "钱多", COL_PHONE: "13900000010"}
    report = experts_import(
        workbook_bytes=xlsx([GOOD, bad, second]),
        by=pool_staff,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [r.row for r in report.created] == [2, 4] and [r.row for r in report.errors] == [3]
    assert calls[0] == (0, 6)  # three rows to check, perhaps three to write
    assert calls[-1] == (5, 5)  # three checked, two written
    assert all(done <= total for done, total in calls)
    assert [done for done, _total in calls] == sorted(done for done, _total in calls)
