"""证据包: the events selected for a project or a case, the documents, the Chinese summary, and
the standalone verify.py that rechecks the hashes outside the system."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import member, pdf_bytes
from tests.factories_aftercare import (
    audit_event_about,
    awarded_project,
    project,
    published_review,
    tolerance_requested,
)
from workflow import audit, evidence
from workflow.choices import ApplicationState, Role
from workflow.models import AuditEvent, Objection, Publicity, ToleranceCase

pytestmark = pytest.mark.django_db


def unpack(data: bytes, folder: Path) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
        names = set(archive.namelist())
    return {"names": names, "events": json.loads((folder / "events.json").read_text("utf-8"))}


def run_verify(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(folder / "verify.py")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
    )


def objection_with_letter(application) -> Objection:
    """A sealed letter on file (set-up only: the publicity service is tested elsewhere)."""
    now = timezone.now()
    publicity = Publicity.objects.create(
        call=application.call, starts_at=now, ends_at=now + timezone.timedelta(days=7)
    )
    content = pdf_bytes()
    objection = Objection(
        publicity=publicity,
        application=application,
        objector_kind="organisation",
        organisation_name="某公司",
        letter_name="盖章异议书.pdf",
        letter_sha256=hashlib.sha256(content).hexdigest(),
        facts="申报材料与事实不符。",
        received_at=now,
        answer_due=now + timezone.timedelta(days=5),
    )
    objection.letter.save("letter.pdf", SimpleUploadedFile("l.pdf", content), save=False)
    objection.save()
    with transaction.atomic():
        audit.record(action="objection.file", obj=objection, by=None, to_state=objection.state)
    return objection


def test_application_events_cover_the_record_and_nothing_else():
    made = awarded_project()
    application = made.application
    review = published_review(made, 2024)
    mine = [
        audit_event_about(application),
        audit_event_about(made.award, "award.grant"),
        audit_event_about(application.attachments.first(), "attachment.add"),
    ]
    objection = objection_with_letter(application)
    _other_project, other_case = tolerance_requested()
    audit_event_about(_other_project.application)
    _, case = tolerance_requested(project(ApplicationState.CONSTRUCTING))

    sequences = set(evidence.application_events(application).values_list("sequence", flat=True))

    assert {e.sequence for e in mine} <= sequences
    review_events = AuditEvent.objects.filter(
        object_type="workflow.performancereview", object_id=str(review.pk)
    )
    assert set(review_events.values_list("sequence", flat=True)) <= sequences
    assert AuditEvent.objects.filter(
        object_type="workflow.objection", object_id=str(objection.pk), sequence__in=sequences
    ).exists()
    others = AuditEvent.objects.filter(
        object_type__in=["workflow.application", "workflow.tolerancecase"],
        object_id__in=[str(other_case.pk), str(other_case.application_id), str(case.pk)],
    ).exclude(object_type="workflow.application", object_id=str(application.pk))
    assert not set(others.values_list("sequence", flat=True)) & sequences


def test_case_events_hold_the_project_and_only_this_case():
    made, first = tolerance_requested()
    # An earlier case closed elsewhere would be its own bundle: simulate a second case row.
    second = ToleranceCase.objects.create(
        application=made.application,
        shortfall="x",
        reasons="y",
        requested_by=made.applicant,
        requested_at=timezone.now(),
    )
    audit_event_about(second, "tolerancecase.request")
    audit_event_about(made.application)

    types = set(evidence.case_events(first).values_list("object_type", "object_id"))

    assert ("workflow.tolerancecase", str(first.pk)) in types
    assert ("workflow.tolerancecase", str(second.pk)) not in types
    assert ("workflow.application", str(made.application.pk)) in types


def test_selection_is_one_query():
    made = awarded_project()
    published_review(made, 2024)
    with CaptureQueriesContext(connection) as queries:
        list(evidence.application_events(made.application))
    assert len(queries) == 1


def test_bundle_contents_summary_and_verify_script(tmp_path):
    made, case = tolerance_requested()
    application = made.application
    objection_with_letter(application)
    audit_event_about(application, by=made.applicant)
    supervisor = member(Role.SUPERVISOR, made.office)

    data = evidence.case_bundle(case, by=supervisor, letters=True)
    bundle = unpack(data, tmp_path)

    names = bundle["names"]
    assert {"events.json", "manifest.json", "summary.pdf", "verify.py"} <= names
    attachments = [n for n in names if n.startswith("documents/attachments/")]
    assert len(attachments) == application.attachments.count() >= 1
    assert any(n.startswith("documents/objections/") for n in names)
    stored = application.attachments.order_by("pk").first()
    first = sorted(attachments, key=lambda n: int(n.split("/")[-1].split("-")[0]))[0]
    assert (tmp_path / first).read_bytes() == stored.file.open("rb").read()

    events = bundle["events"]
    expected = list(evidence.case_events(case).order_by("sequence").values_list("hash", flat=True))
    assert [e["hash"] for e in events] == expected
    assert any(e["action"] == "tolerancecase.request" for e in events)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["subject"] == {"kind": "case", "id": case.pk, "application": application.pk}
    assert manifest["chain_head"]["sequence"] == AuditEvent.objects.count()
    assert manifest["generated_by"] == supervisor.username

    text = "".join(
        "".join(page.extract_text().split()) for page in PdfReader(tmp_path / "summary.pdf").pages
    )
    assert "容错纠错证据包" in text
    assert application.organisation.name in text
    assert application.title in text

    result = run_verify(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "OK"


def test_verify_script_finds_a_tampered_event(tmp_path):
    made, _case = tolerance_requested()
    audit_event_about(made.application, by=made.applicant)
    data = evidence.application_bundle(made.application, by=None, letters=False)
    events = unpack(data, tmp_path)["events"]
    assert len(events) >= 2
    events[0]["reason"] = "事后改写的理由"
    (tmp_path / "events.json").write_text(json.dumps(events, ensure_ascii=False), "utf-8")

    result = run_verify(tmp_path)

    assert result.returncode == 1
    assert result.stdout.startswith(f"MISMATCH event #{events[0]['sequence']}")


def test_verify_script_finds_a_broken_link_and_a_changed_document(tmp_path):
    made = project()
    first = audit_event_about(made.application)
    second = audit_event_about(made.application)
    assert second.sequence == first.sequence + 1
    data = evidence.application_bundle(made.application, by=None, letters=False)
    events = unpack(data, tmp_path)["events"]

    # A forger who rewrites an event and its hash still breaks the link from the next one.
    forged = dict(events[0], reason="改写")
    forged["hash"] = audit.compute_hash(
        {**forged, "created_at": timezone.datetime.fromisoformat(forged["created_at"])}
    )
    (tmp_path / "events.json").write_text(
        json.dumps([forged, *events[1:]], ensure_ascii=False), "utf-8"
    )
    result = run_verify(tmp_path)
    assert result.stdout.strip() == (
        f"MISMATCH event #{second.sequence}: previous-hash link does not match"
    )

    (tmp_path / "events.json").write_text(json.dumps(events, ensure_ascii=False), "utf-8")
    assert run_verify(tmp_path).stdout.strip() == "OK"
    document = next((tmp_path / "documents" / "attachments").iterdir())
    document.write_bytes(document.read_bytes() + b"%")
    result = run_verify(tmp_path)
    assert "content does not match its SHA-256" in result.stdout


def test_the_script_hashes_as_the_system_does():
    """verify.py's compute_hash against workflow.audit's on stored events, Chinese and nesting
    included (the script is loaded as a module, outside Django's encoders)."""
    made, _case = tolerance_requested()
    with transaction.atomic():
        audit.record(
            action="application.update",
            obj=made.application,
            by=made.applicant,
            reason="理由：含“引号”与换行\n第二行",
            diff={"a": {"old": [1, 2.5, None], "new": "新值"}, "b": True},
        )
    namespace: dict = {"__name__": "verify_bundle"}
    exec(compile(evidence.VERIFY_SCRIPT, "verify.py", "exec"), namespace)
    for record in evidence.event_records(AuditEvent.objects.all()):
        assert namespace["compute_hash"](record) == record["hash"]


def test_sealed_letters_only_when_allowed(tmp_path):
    made = project()
    objection_with_letter(made.application)
    names = unpack(evidence.application_bundle(made.application, by=None, letters=False), tmp_path)[
        "names"
    ]
    assert not any(n.startswith("documents/objections/") for n in names)
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert all("objections" not in d["path"] for d in manifest["documents"])


def test_a_missing_stored_file_is_listed_not_fatal(tmp_path):
    made = project()
    attachment = made.application.attachments.order_by("pk").first()
    attachment.file.storage.delete(attachment.file.name)

    bundle = unpack(evidence.application_bundle(made.application, by=None, letters=True), tmp_path)

    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    missing = [
        d for d in manifest["documents"] if d["path"].split("/")[-1].startswith(f"{attachment.pk}-")
    ]
    assert missing and missing[0]["sha256"] == ""
    assert missing[0]["path"] not in bundle["names"]
    assert run_verify(tmp_path).stdout.strip() == "OK"
