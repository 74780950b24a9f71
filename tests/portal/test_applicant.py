"""An applicant's journey through HTTP: create, edit, upload, submit, withdraw."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    OrganisationFactory,
    complete_application,
    member,
    pdf_bytes,
    pdf_upload,
    published_call,
)
from tests.portal.helpers import application_data, audit_count, logged_in, text
from workflow.choices import ApplicationState, AttachmentKind, FundingSource, Role
from workflow.models import Application, Attachment, Membership

pytestmark = pytest.mark.django_db


def upload(client, application, kind, file):
    return client.post(
        reverse("portal:attachment_add", args=[application.pk]),
        {"attachment-kind": kind, "attachment-file": file},
    )


def step_url(application, step):
    return reverse("portal:application_step", args=[application.pk, step])


def test_create_edit_upload_submit_withdraw(applicant_client, call, organisation):
    """Through the steps: overview (creates the draft), plan, contact, funding, partners,
    attachments, then the confirmation page and its Submit button."""
    partner = OrganisationFactory(name="太原重工股份有限公司")

    response = applicant_client.get(reverse("portal:application_create", args=[call.pk]))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {
        "title",
        "construction_mode",
        "functions",
    }

    response = applicant_client.post(
        reverse("portal:application_create", args=[call.pk]),
        {
            "title": "新能源汽车实训基地建设项目",
            "construction_mode": "school_led",
            "functions": ["training", "innovation"],
            "go": "next",
        },
    )
    application = Application.objects.get(call=call, organisation=organisation)
    assert response.status_code == 302
    assert response["Location"] == step_url(application, "plan")
    assert application.state == ApplicationState.DRAFT

    steps = [
        ("plan", {"plan": "建设实训车间两处，年培训学员1000人次。"}, "contact"),
        ("contact", {"project_lead": "王五", "contact_phone": "0351-7654321"}, "funding"),
        (
            "funding",
            {
                f"funding_{FundingSource.SELF_RAISED.value}": "300",
                f"funding_{FundingSource.GOVERNMENT_INVESTMENT.value}": "120.5",
            },
            "partners",
        ),
        ("partners", {"partners": [partner.pk]}, "attachments"),
    ]
    for step, data, following in steps:
        assert applicant_client.get(step_url(application, step)).status_code == 200
        response = applicant_client.post(step_url(application, step), {**data, "go": "next"})
        assert response.status_code == 302, step
        assert response["Location"] == step_url(application, following)

    application.refresh_from_db()
    assert application.title == "新能源汽车实训基地建设项目"
    assert application.plan.startswith("建设实训车间")
    assert application.contact_phone == "0351-7654321"
    assert list(application.partners.all()) == [partner]
    assert {f.source: f.amount for f in application.funding.all()} == {
        FundingSource.SELF_RAISED: Decimal("300.00"),
        FundingSource.GOVERNMENT_INVESTMENT: Decimal("120.50"),
    }

    for kind in call.required_attachments:
        response = applicant_client.post(
            reverse("portal:attachment_add", args=[application.pk]),
            {
                "attachment-kind": kind,
                "attachment-file": pdf_upload(f"{kind}.pdf"),
                "from": "attachments",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == step_url(application, "attachments")
    assert application.attachments.count() == len(call.required_attachments)

    detail = applicant_client.get(reverse("portal:application_detail", args=[application.pk]))
    assert "Everything required is in place." in text(detail)
    confirm_url = reverse("portal:application_confirm", args=[application.pk])
    assert confirm_url in text(detail)

    confirm = applicant_client.get(confirm_url)
    assert confirm.status_code == 200
    assert reverse("portal:application_submit", args=[application.pk]) in text(confirm)

    response = applicant_client.post(
        reverse("portal:application_submit", args=[application.pk]), follow=True
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert "The application is submitted to the office." in text(response)

    response = applicant_client.post(
        reverse("portal:application_withdraw", args=[application.pk]),
        {"withdraw-reason": "单位调整申报计划"},
        follow=True,
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    assert "The application is withdrawn." in text(response)


def test_whole_form_posts_are_still_accepted(applicant_client, call, organisation):
    """A post of every field at once (the one-page form before the steps) saves them all."""
    partner = OrganisationFactory(name="太原重工股份有限公司")
    response = applicant_client.post(
        reverse("portal:application_create", args=[call.pk]),
        application_data(partners=[partner.pk]),
    )
    application = Application.objects.get(call=call, organisation=organisation)
    assert response.status_code == 302
    assert response["Location"] == step_url(application, "attachments")
    assert list(application.partners.all()) == [partner]
    assert application.funding.get().amount == Decimal("300.00")

    response = applicant_client.post(
        reverse("portal:application_edit", args=[application.pk]),
        application_data(
            title="修改后的项目名称",
            **{f"funding_{FundingSource.GOVERNMENT_INVESTMENT.value}": "120.5"},
        ),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.title == "修改后的项目名称"
    assert application.partners.count() == 0
    assert {f.source: f.amount for f in application.funding.all()} == {
        FundingSource.SELF_RAISED: Decimal("300.00"),
        FundingSource.GOVERNMENT_INVESTMENT: Decimal("120.50"),
    }


def test_list_shows_own_applications_only(applicant_client, draft, stranger):
    foreign = complete_application(organisation=stranger.memberships.get().organisation)
    response = applicant_client.get(reverse("portal:application_list"))
    assert response.status_code == 200
    assert list(response.context["applications"]) == [draft]
    assert foreign.call.title not in text(response)


def test_incomplete_submission_lists_every_problem_and_changes_nothing(
    applicant_client, call, organisation
):
    applicant_client.post(
        reverse("portal:application_create", args=[call.pk]),
        application_data(plan="", **{f"funding_{FundingSource.SELF_RAISED.value}": ""}),
    )
    application = Application.objects.get(organisation=organisation)
    before = audit_count()

    response = applicant_client.post(
        reverse("portal:application_submit", args=[application.pk]), follow=True
    )

    body = text(response)
    assert response.status_code == 200
    assert "The application cannot be submitted yet." in body
    assert "The construction plan is required." in body
    assert "Give at least one funding source with its amount." in body
    for kind in call.required_attachments:
        assert f"The attachment “{AttachmentKind(kind).label}” is missing." in body
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert audit_count() == before


def test_submission_after_the_window_is_refused_and_changes_nothing(organisation, applicant):
    call = published_call(closes_at=timezone.now() + dt.timedelta(hours=1))
    application = complete_application(call=call, organisation=organisation)
    client = logged_in(applicant)
    before = audit_count()

    with time_machine.travel(call.closes_at + dt.timedelta(minutes=5), tick=False):
        response = client.post(
            reverse("portal:application_submit", args=[application.pk]), follow=True
        )

    assert response.status_code == 200
    assert "Applications closed at" in text(response)
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert application.submitted_at is None
    assert audit_count() == before


def test_create_is_refused_once_the_call_closed(organisation, applicant):
    call = published_call(closes_at=timezone.now() + dt.timedelta(hours=1))
    client = logged_in(applicant)
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=5), tick=False):
        get = client.get(reverse("portal:application_create", args=[call.pk]), follow=True)
        post = client.post(
            reverse("portal:application_create", args=[call.pk]), application_data(), follow=True
        )
    assert "This call is not open for applications." in text(get)
    assert "This call is not open for applications." in text(post)
    assert not Application.objects.exists()


def test_second_application_to_the_same_call_is_a_form_error(applicant_client, draft, call):
    response = applicant_client.post(
        reverse("portal:application_create", args=[call.pk]), application_data()
    )
    assert response.status_code == 200
    assert "Your organisation already has an application to this call." in text(response)
    assert Application.objects.count() == 1


def test_applicant_of_several_organisations_chooses_one(call):
    first, second, other = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    user = member(Role.APPLICANT, first)
    Membership.objects.create(user=user, role=Role.APPLICANT, organisation=second)
    client = logged_in(user)
    url = reverse("portal:application_create", args=[call.pk])

    refused = client.post(url, application_data(organisation=other.pk))
    assert refused.status_code == 200
    assert "organisation" in refused.context["form"].errors
    assert not Application.objects.exists()

    client.post(url, application_data(organisation=second.pk))
    assert Application.objects.get().organisation == second


def test_returned_application_shows_reason_and_deadline(applicant_client, submitted, staff):
    from workflow.services.applications import application_return

    application_return(application=submitted, by=staff, reason="缺少法人证书盖章页，请补充。")
    submitted.refresh_from_db()

    response = applicant_client.get(reverse("portal:application_detail", args=[submitted.pk]))

    body = text(response)
    assert "缺少法人证书盖章页，请补充。" in body
    local_due = timezone.localtime(submitted.correction_due).strftime("%Y-%m-%d %H:%M")
    assert local_due in body
    assert response.context["latest_check"].reason == "缺少法人证书盖章页，请补充。"


def test_rejected_application_shows_reason(applicant_client, submitted, staff):
    from workflow.services.applications import application_reject

    application_reject(application=submitted, by=staff, reason="申报主体类型不符合要求。")
    response = applicant_client.get(reverse("portal:application_detail", args=[submitted.pk]))
    assert "申报主体类型不符合要求。" in text(response)


def test_returned_application_can_be_corrected_and_resubmitted(applicant_client, submitted, staff):
    from workflow.services.applications import application_return

    application_return(application=submitted, by=staff, reason="请补充资金来源证明。")
    response = upload(
        applicant_client, submitted, AttachmentKind.FUNDING_PROOF, pdf_upload("资金证明.pdf")
    )
    assert response.status_code == 302
    applicant_client.post(reverse("portal:application_submit", args=[submitted.pk]))
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_submitted_application_cannot_be_edited(applicant_client, submitted):
    url = reverse("portal:application_edit", args=[submitted.pk])
    assert applicant_client.get(url).status_code == 302
    response = applicant_client.post(url, application_data(title="偷偷修改"), follow=True)
    assert "This application can no longer be changed." in text(response)
    submitted.refresh_from_db()
    assert submitted.title != "偷偷修改"


def test_upload_to_a_submitted_application_is_refused(applicant_client, submitted):
    count = Attachment.objects.count()
    response = upload(
        applicant_client,
        submitted,
        AttachmentKind.OTHER,
        pdf_upload(),
    )
    assert response.status_code == 302
    assert Attachment.objects.count() == count


def test_remove_attachment(applicant_client, draft):
    attachment = draft.attachments.first()
    before = audit_count()
    response = applicant_client.post(
        reverse("portal:attachment_remove", args=[draft.pk, attachment.pk])
    )
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert audit_count() == before + 1


def test_download_own_attachment(applicant_client, draft):
    content = pdf_bytes(pages=2)
    upload(applicant_client, draft, AttachmentKind.OTHER, pdf_upload("补充材料.pdf", content))
    attachment = draft.attachments.get(kind=AttachmentKind.OTHER)

    response = applicant_client.get(
        reverse("portal:attachment_download", args=[draft.pk, attachment.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content


def test_state_changing_views_refuse_get(applicant_client, draft):
    for name in ("application_submit", "application_withdraw", "attachment_add"):
        assert applicant_client.get(reverse(f"portal:{name}", args=[draft.pk])).status_code == 405
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT


def test_apply_again_leads_to_the_existing_application(applicant_client, draft, call):
    response = applicant_client.get(reverse("portal:application_create", args=[call.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application_detail", args=[draft.pk])
