"""Applicant-side services: create, edit, attachments, submit, withdraw."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    complete_application,
    force_state,
    member,
    pdf_upload,
    published_call,
)
from workflow.choices import ApplicationState, AttachmentKind, CallState, Role
from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models import Application, Attachment, AuditEvent
from workflow.services import applications as svc

CONTENT = {
    "title": "智能制造实训基地",
    "construction_mode": "school_led",
    "functions": ["training"],
}


@pytest.fixture
def applicant_setup(db):
    call = published_call()
    organisation = OrganisationFactory()
    return call, organisation, member(Role.APPLICANT, organisation)


def test_create_records_the_content_in_the_audit_event(applicant_setup):
    call, organisation, user = applicant_setup
    partner = OrganisationFactory()
    application = svc.application_create(
        call=call,
        organisation=organisation,
        by=user,
        content=CONTENT,
        partner_ids=[partner.pk],
        funding={"self_raised": Decimal("120.50")},
    )
    assert application.state == ApplicationState.DRAFT
    assert list(application.partners.all()) == [partner]
    event = AuditEvent.objects.get(action="application.create")
    assert event.diff["title"] == CONTENT["title"]
    assert event.diff["funding"] == {"self_raised": "120.50"}


def test_create_only_for_own_organisation(applicant_setup):
    call, _, user = applicant_setup
    with pytest.raises(NotPermitted):
        svc.application_create(
            call=call, organisation=OrganisationFactory(), by=user, content=CONTENT
        )
    assert not Application.objects.exists()


def test_one_live_application_per_call(applicant_setup):
    call, organisation, user = applicant_setup
    svc.application_create(call=call, organisation=organisation, by=user, content=CONTENT)
    with pytest.raises(Conflict):
        svc.application_create(call=call, organisation=organisation, by=user, content=CONTENT)
    assert Application.objects.count() == 1


def test_create_refused_when_call_not_open(applicant_setup):
    call, organisation, user = applicant_setup
    force_state(call, CallState.CLOSED)
    with pytest.raises(Invalid):
        svc.application_create(call=call, organisation=organisation, by=user, content=CONTENT)


def test_update_audits_old_and_new_values(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    svc.application_update(
        application=application,
        by=user,
        content={"title": "新标题"},
        funding={"self_raised": Decimal("500.00"), "social_capital": Decimal("100")},
    )
    event = AuditEvent.objects.get(action="application.update")
    assert event.diff["title"]["new"] == "新标题"
    assert event.diff["funding"]["new"] == {"self_raised": "500.00", "social_capital": "100"}


def test_update_refused_once_submitted(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    svc.application_submit(application=application, by=user)
    with pytest.raises(Conflict):
        svc.application_update(application=application, by=user, content={"title": "x"})
    assert Application.objects.get(pk=application.pk).title != "x"


def test_attachment_added_and_removed_with_audit(db):
    application = ApplicationFactory()
    user = member(Role.APPLICANT, application.organisation)
    attachment = svc.attachment_add(
        application=application,
        kind=AttachmentKind.APPLICATION_FORM,
        upload=pdf_upload(),
        by=user,
    )
    assert attachment.file.storage.exists(attachment.file.name)
    assert attachment.original_name == "申报书.pdf"
    svc.attachment_remove(attachment=attachment, by=user)
    assert not Attachment.objects.exists()
    assert [
        e.action
        for e in AuditEvent.objects.filter(
            object_type="workflow.application", object_id=str(application.pk)
        )
    ] == ["attachment.add", "attachment.remove"]


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("假装.pdf", b"not a pdf at all", "application/pdf"),
        SimpleUploadedFile("empty.pdf", b"", "application/pdf"),
    ],
    ids=["text-named-pdf", "empty"],
)
def test_bad_upload_changes_nothing(db, upload):
    application = ApplicationFactory()
    user = member(Role.APPLICANT, application.organisation)
    before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as excinfo:
        svc.attachment_add(application=application, kind="application_form", upload=upload, by=user)
    assert excinfo.value.message
    assert not Attachment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_unknown_attachment_kind_is_refused(db):
    application = ApplicationFactory()
    user = member(Role.APPLICANT, application.organisation)
    with pytest.raises(Invalid):
        svc.attachment_add(application=application, kind="bogus", upload=pdf_upload(), by=user)
    assert not Attachment.objects.exists()


def test_incomplete_application_lists_every_problem(db):
    application = ApplicationFactory(plan="", project_lead="")
    user = member(Role.APPLICANT, application.organisation)
    with pytest.raises(Invalid) as excinfo:
        svc.application_submit(application=application, by=user)
    # plan, project lead, funding, two attachments
    assert len(excinfo.value.problems) == 5
    assert Application.objects.get(pk=application.pk).state == ApplicationState.DRAFT


def test_ineligible_applicant_type_cannot_submit(db):
    application = complete_application(organisation=OrganisationFactory(applicant_type="park"))
    user = member(Role.APPLICANT, application.organisation)
    with pytest.raises(Invalid):
        svc.application_submit(application=application, by=user)


def test_submission_after_the_deadline_changes_nothing(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    before = AuditEvent.objects.count()
    with (
        time_machine.travel(application.call.closes_at + dt.timedelta(seconds=1)),
        pytest.raises(Invalid) as excinfo,
    ):
        svc.application_submit(application=application, by=user)
    assert excinfo.value.problems
    application.refresh_from_db()
    assert (application.state, application.submitted_at) == (ApplicationState.DRAFT, None)
    assert AuditEvent.objects.count() == before


def test_submission_before_the_window_opens_is_refused(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    with (
        time_machine.travel(application.call.opens_at - dt.timedelta(seconds=1)),
        pytest.raises(Invalid),
    ):
        svc.application_submit(application=application, by=user)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.DRAFT


def test_returned_application_may_be_resubmitted_within_its_correction_period(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    staff = member(Role.OFFICE_STAFF, application.call.office)
    svc.application_submit(application=application, by=user)
    application = svc.application_return(application=application, by=staff, reason="缺页")
    assert application.correction_due > application.call.closes_at - dt.timedelta(days=30)
    late = application.call.closes_at + dt.timedelta(minutes=1)
    force_state(application.call, CallState.CLOSED)
    with time_machine.travel(min(late, application.correction_due - dt.timedelta(minutes=1))):
        svc.application_submit(application=application, by=user)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED


def test_returned_application_cannot_be_resubmitted_after_its_correction_period(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    staff = member(Role.OFFICE_STAFF, application.call.office)
    svc.application_submit(application=application, by=user)
    application = svc.application_return(application=application, by=staff, reason="缺页")
    after = max(application.correction_due, application.call.closes_at) + dt.timedelta(hours=1)
    with time_machine.travel(after), pytest.raises(Invalid):
        svc.application_submit(application=application, by=user)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.RETURNED


def test_withdraw_refused_after_the_deadline(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    svc.application_submit(application=application, by=user)
    with time_machine.travel(application.call.closes_at), pytest.raises(Invalid):
        svc.application_withdraw(application=application, by=user)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED


def test_withdrawn_application_may_be_followed_by_a_new_one(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    svc.application_submit(application=application, by=user)
    svc.application_withdraw(application=application, by=user, reason="重新组织材料")
    again = svc.application_create(
        call=application.call, organisation=application.organisation, by=user, content=CONTENT
    )
    assert again.pk != application.pk


def test_returned_application_may_be_withdrawn_within_its_correction_period(db):
    from django.utils import timezone

    call = published_call(closes_at=timezone.now() + dt.timedelta(hours=1))
    application = complete_application(call=call)
    user = member(Role.APPLICANT, application.organisation)
    staff = member(Role.OFFICE_STAFF, call.office)
    svc.application_submit(application=application, by=user)
    application = svc.application_return(application=application, by=staff, reason="缺页")
    # five working days of correction outlast a window that closes within the hour
    assert application.correction_due > call.closes_at + dt.timedelta(days=1)
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1)):
        svc.application_withdraw(application=application, by=user, reason="放弃申报")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.WITHDRAWN


def test_cancelled_call_takes_no_resubmission_and_no_formal_check(db):
    application = complete_application()
    user = member(Role.APPLICANT, application.organisation)
    staff = member(Role.OFFICE_STAFF, application.call.office)
    svc.application_submit(application=application, by=user)
    application = svc.application_return(application=application, by=staff, reason="缺页")
    force_state(application.call, CallState.CANCELLED)
    with pytest.raises(Invalid):
        svc.application_submit(application=application, by=user)
    force_state(application, ApplicationState.SUBMITTED)
    with pytest.raises(Conflict):
        svc.application_accept(application=application, by=staff)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("amount", ["10000000000", "1.234", "-1"])
def test_funding_amounts_out_of_range_are_refused(applicant_setup, amount):
    call, organisation, user = applicant_setup
    with pytest.raises(Invalid):
        svc.application_create(
            call=call,
            organisation=organisation,
            by=user,
            content=CONTENT,
            funding={"self_raised": Decimal(amount)},
        )
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        CONTENT | {"construction_mode": "park_led"},
        CONTENT | {"functions": ["flying"]},
        CONTENT | {"functions": "training"},
        CONTENT | {"indicator_values": [1, 2]},
    ],
    ids=["mode-not-allowed", "unknown-function", "functions-not-a-list", "indicators-not-a-map"],
)
def test_content_is_checked_by_the_service_not_only_the_form(applicant_setup, content):
    call, organisation, user = applicant_setup
    with pytest.raises(Invalid):
        svc.application_create(call=call, organisation=organisation, by=user, content=content)
    assert not Application.objects.exists()


def test_no_draft_before_the_call_opens(applicant_setup):
    call, organisation, user = applicant_setup
    with time_machine.travel(call.opens_at - dt.timedelta(minutes=1)), pytest.raises(Invalid):
        svc.application_create(call=call, organisation=organisation, by=user, content=CONTENT)
    assert not Application.objects.exists()
