"""manage.py import_experts: the same import as the portal, with the row report printed."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.factories import OfficeFactory, OrganisationFactory, member
from tests.workflow.test_experts_excel import GOOD, xlsx
from workflow.choices import Role
from workflow.experts_excel import COL_NAME, COL_PHONE, COL_YEARS
from workflow.models import AuditEvent, Expert

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    for name in ("太原理工大学", "山西汽车集团", "晋能控股集团", "某科技公司", "某投资公司"):
        OrganisationFactory(name=name)
    OrganisationFactory(name="某材料公司")
    OrganisationFactory(name="某职业学院")
    return member(Role.OFFICE_STAFF, OfficeFactory())


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        try:
            call_command("import_experts", *args, stdout=out, stderr=err)
        except CommandError as exc:
            return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


def test_good_rows_are_saved_and_bad_rows_printed(staff, tmp_path):
    path = tmp_path / "专家.xlsx"
    bad = {**GOOD, COL_NAME: "赵敏", COL_PHONE: "13900000009", COL_YEARS: "很多"}
    path.write_bytes(xlsx([GOOD, bad]))

    out, err, failure = run(str(path), "--as", staff.username)

    assert "Row 2 (王德明): added" in out
    assert "Row 3 (赵敏): 工作年限" in err
    assert failure == "1 added, 0 updated, 0 unchanged, 1 rows not imported."
    assert list(Expert.objects.values_list("name", flat=True)) == ["王德明"]
    assert AuditEvent.objects.get(action="expert.create").actor_id == staff.pk

    path.write_bytes(xlsx([GOOD]))
    out, err, failure = run(str(path), "--as", staff.username)
    assert failure is None
    assert "0 added, 0 updated, 1 unchanged, 0 rows not imported." in out


def test_a_bad_file_or_user_stops_the_command(staff, tmp_path):
    path = tmp_path / "专家.csv"
    path.write_text("姓名,职称\n")
    assert "not an Excel workbook" in run(str(path), "--as", staff.username)[2]
    assert "No user named" in run(str(path), "--as", "nobody")[2]
    applicant = member(Role.APPLICANT, OrganisationFactory())
    path.write_bytes(xlsx([GOOD]))
    assert "Only office staff" in run(str(path), "--as", applicant.username)[2]
    assert not Expert.objects.exists()
