"""The multi-step application form (申报书分步填写): each step, the autosave, the confirmation
page before submitting and the inline preview of attachments."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import (
    DepartmentFactory,
    OfficeFactory,
    OrganisationFactory,
    UserFactory,
    member,
    pdf_upload,
)
from tests.portal.helpers import audit_count, english, logged_in, text
from workflow.choices import ApplicationState, AttachmentKind, FundingSource, Role
from workflow.models import Application, ApplicationFunding, Attachment, AuditEvent

pytestmark = pytest.mark.django_db

SELF = f"funding_{FundingSource.SELF_RAISED.value}"
GOVERNMENT = f"funding_{FundingSource.GOVERNMENT_INVESTMENT.value}"
HTMX = {"HTTP_HX_REQUEST": "true"}


def step_url(application, step):
    return reverse("portal:application_step", args=[application.pk, step])


def autosave_url(application, step):
    return reverse("portal:application_autosave", args=[application.pk, step])


def confirm_url(application):
    return reverse("portal:application_confirm", args=[application.pk])


def snapshot(application):
    application = Application.objects.get(pk=application.pk)
    return (
        application.title,
        application.construction_mode,
        list(application.functions),
        application.plan,
        application.project_lead,
        application.contact_phone,
        sorted(application.partners.values_list("pk", flat=True)),
        sorted((f.source, f.amount) for f in application.funding.all()),
        application.state,
    )


@pytest.fixture
def bare(call, organisation):
    """A draft with only its title: every step but the partners is incomplete."""
    return Application.objects.create(
        call=call, organisation=organisation, title="只填写了名称的申报书"
    )


# The step indicator ----------------------------------------------------------------------------


def test_step_indicator_marks_current_and_complete_steps(applicant_client, bare):
    ApplicationFunding.objects.create(
        application=bare, source=FundingSource.SELF_RAISED, amount=Decimal("10")
    )
    response = applicant_client.get(step_url(bare, "plan"))
    assert response.status_code == 200
    steps = {s["slug"]: s for s in response.context["steps"]}
    assert [s["slug"] for s in response.context["steps"]] == [
        "overview",
        "plan",
        "contact",
        "funding",
        "partners",
        "attachments",
        "confirm",
    ]
    assert steps["plan"]["current"]
    assert steps["overview"]["complete"] is False  # no construction mode, no functions
    assert steps["plan"]["complete"] is False
    assert steps["funding"]["complete"] is True
    assert steps["partners"]["complete"] is None  # optional: no state shown
    assert steps["attachments"]["complete"] is False
    body = text(response)
    assert body.count('aria-current="step"') == 1
    assert "incomplete" in body
    assert step_url(bare, "funding") in body


def test_complete_draft_shows_every_step_complete(applicant_client, draft):
    response = applicant_client.get(step_url(draft, "overview"))
    states = {s["slug"]: s["complete"] for s in response.context["steps"]}
    assert states == {
        "overview": True,
        "plan": True,
        "contact": True,
        "funding": True,
        "partners": None,
        "attachments": True,
        "confirm": True,
    }


# Each step validates and saves only its own fields ---------------------------------------------

VALID = [
    (
        "overview",
        {"title": "新标题", "construction_mode": "enterprise_led", "functions": ["training"]},
    ),
    ("plan", {"plan": "新的建设方案。"}),
    ("contact", {"project_lead": "赵六", "contact_phone": "+86 351 1234567"}),
    ("funding", {SELF: "12.5", GOVERNMENT: "7"}),
]


@pytest.mark.parametrize(("step", "data"), VALID, ids=[v[0] for v in VALID])
def test_each_step_saves_its_own_fields_only(applicant_client, draft, step, data):
    before = snapshot(draft)
    events = audit_count()
    # Fields of other steps sent along are ignored: a step saves only what it shows.
    response = applicant_client.post(
        step_url(draft, step),
        {**data, "go": "next", "project_lead": "不该保存"}
        if step != "contact"
        else {**data, "go": "next", "plan": "不该保存"},
    )
    assert response.status_code == 302
    after = snapshot(draft)
    assert "不该保存" not in str(after)
    changed = {i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new}
    expected = {"overview": {0, 1, 2}, "plan": {3}, "contact": {4, 5}, "funding": {7}}[step]
    assert changed == expected
    assert audit_count() == events + 1
    event = AuditEvent.objects.order_by("pk").last()
    assert event.action == "application.update"


def test_partners_step_sets_and_clears_partners(applicant_client, draft):
    partner = OrganisationFactory()
    applicant_client.post(step_url(draft, "partners"), {"partners": [partner.pk], "go": "next"})
    assert list(draft.partners.all()) == [partner]
    response = applicant_client.post(step_url(draft, "partners"), {"go": "next"})
    assert response["Location"] == step_url(draft, "attachments")
    assert draft.partners.count() == 0


INVALID = [
    ("overview", {"title": ""}, "title"),
    ("overview", {"title": "x", "construction_mode": "park_led"}, "construction_mode"),
    ("overview", {"title": "x", "functions": ["teleportation"]}, "functions"),
    ("plan", {"plan": "长" * 20001}, "plan"),
    ("contact", {"project_lead": "赵六", "contact_phone": "<script>"}, "contact_phone"),
    ("funding", {SELF: "abc"}, SELF),
    ("funding", {SELF: "-1"}, SELF),
    ("funding", {SELF: "1e400"}, SELF),
    ("partners", {"partners": ["999999"]}, "partners"),
]


@pytest.mark.parametrize(("step", "data", "field"), INVALID)
def test_invalid_step_shows_field_errors_and_saves_nothing(
    applicant_client, draft, step, data, field
):
    before, events = snapshot(draft), audit_count()
    response = applicant_client.post(step_url(draft, step), {**data, "go": "next"})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in text(response)
    assert snapshot(draft) == before
    assert audit_count() == events


def test_own_organisation_as_partner_is_a_field_error(applicant_client, draft, organisation):
    response = applicant_client.post(
        step_url(draft, "partners"), {"partners": [organisation.pk], "go": "next"}
    )
    assert response.status_code == 200
    assert "partners" in response.context["form"].errors


def test_previous_saves_and_goes_back(applicant_client, draft):
    response = applicant_client.post(
        step_url(draft, "contact"),
        {"project_lead": "赵六", "contact_phone": "123456", "go": "previous"},
    )
    assert response["Location"] == step_url(draft, "plan")
    draft.refresh_from_db()
    assert draft.project_lead == "赵六"


def test_first_step_creates_the_draft_with_only_a_title(applicant_client, call, organisation):
    response = applicant_client.post(
        reverse("portal:application_create", args=[call.pk]), {"title": "只有名称", "go": "next"}
    )
    application = Application.objects.get(organisation=organisation)
    assert response["Location"] == step_url(application, "plan")
    assert application.title == "只有名称"
    assert application.funding.count() == 0


def test_create_page_has_no_autosave(applicant_client, call):
    response = applicant_client.get(reverse("portal:application_create", args=[call.pk]))
    assert "hx-post" not in text(response)
    assert response.context["steps"][0]["current"]


def test_old_edit_url_is_step_one(applicant_client, draft):
    response = applicant_client.get(reverse("portal:application_edit", args=[draft.pk]))
    assert response.status_code == 200
    assert response.context["step"] == "overview"
    response = applicant_client.post(
        reverse("portal:application_edit", args=[draft.pk]), {"title": "经旧地址修改", "go": "next"}
    )
    assert response["Location"] == step_url(draft, "plan")
    draft.refresh_from_db()
    assert draft.title == "经旧地址修改"


def test_unknown_step_is_404_and_attachments_step_takes_no_post(applicant_client, draft):
    assert applicant_client.get(step_url(draft, "secrets")).status_code == 404
    assert applicant_client.post(autosave_url(draft, "attachments"), **HTMX).status_code == 404
    assert applicant_client.post(step_url(draft, "attachments")).status_code == 405


def test_steps_of_a_submitted_application_redirect(applicant_client, submitted):
    for step in ("overview", "funding", "attachments"):
        response = applicant_client.post(
            step_url(submitted, step), {"title": "偷偷修改"}, follow=True
        )
        assert "This application can no longer be changed." in text(response)
    submitted.refresh_from_db()
    assert submitted.title != "偷偷修改"


@pytest.mark.parametrize("step", ["overview", "plan", "attachments"])
def test_steps_refuse_other_users(draft, stranger_client, staff_client, step):
    before = snapshot(draft)
    assert stranger_client.get(step_url(draft, step)).status_code == 404
    assert stranger_client.post(step_url(draft, step), {"title": "篡改"}).status_code == 404
    assert staff_client.get(step_url(draft, step)).status_code == 403
    anonymous = Client().get(step_url(draft, step))
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"] or "accounts" in anonymous["Location"]
    assert snapshot(draft) == before


def test_attachments_step_uploads_and_removes(applicant_client, draft):
    response = applicant_client.get(step_url(draft, "attachments"))
    assert response.status_code == 200
    assert response.context["step"] == "attachments"
    response = applicant_client.post(
        reverse("portal:attachment_add", args=[draft.pk]),
        {
            "attachment-kind": AttachmentKind.OTHER,
            "attachment-file": pdf_upload(),
            "from": "attachments",
        },
    )
    assert response["Location"] == step_url(draft, "attachments")
    attachment = draft.attachments.get(kind=AttachmentKind.OTHER)

    bad = applicant_client.post(
        reverse("portal:attachment_add", args=[draft.pk]),
        {
            "attachment-kind": AttachmentKind.OTHER,
            "attachment-file": pdf_upload(content=b"x"),
            "from": "attachments",
        },
    )
    assert bad.status_code == 200
    assert bad.context["step"] == "attachments"
    assert bad.context["attachment_form"].errors["file"]

    response = applicant_client.post(
        reverse("portal:attachment_remove", args=[draft.pk, attachment.pk]), {"from": "attachments"}
    )
    assert response["Location"] == step_url(draft, "attachments")
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


# Autosave ---------------------------------------------------------------------------------------


def test_step_form_autosaves_with_htmx(applicant_client, draft):
    body = text(applicant_client.get(step_url(draft, "plan")))
    assert f'hx-post="{autosave_url(draft, "plan")}"' in body
    assert 'hx-trigger="input changed delay:2s, change delay:2s"' in body
    assert 'id="autosave-status"' in body


def test_autosave_saves_and_says_when(applicant_client, draft):
    events = audit_count()
    response = applicant_client.post(
        autosave_url(draft, "plan"), {"plan": "自动保存的方案"}, **HTMX
    )
    assert response.status_code == 200
    assert "Saved automatically at" in text(response)
    assert "<html" not in text(response)
    draft.refresh_from_db()
    assert draft.plan == "自动保存的方案"
    assert audit_count() == events + 1


def test_autosave_of_unchanged_content_writes_no_audit_event(applicant_client, draft):
    events = audit_count()
    for step, data in [
        ("plan", {"plan": draft.plan}),
        ("contact", {"project_lead": draft.project_lead, "contact_phone": draft.contact_phone}),
        ("funding", {SELF: "500"}),  # stored as 500.00: the same amount
        (
            "overview",
            {
                "title": draft.title,
                "construction_mode": draft.construction_mode,
                "functions": draft.functions,
            },
        ),
    ]:
        response = applicant_client.post(autosave_url(draft, step), data, **HTMX)
        assert "Saved automatically at" in text(response), step
    assert audit_count() == events


def test_autosave_with_errors_lists_them_and_saves_nothing(applicant_client, draft):
    before, events = snapshot(draft), audit_count()
    response = applicant_client.post(
        autosave_url(draft, "contact"),
        {"project_lead": "新负责人", "contact_phone": "电话"},
        **HTMX,
    )
    assert response.status_code == 200
    body = text(response)
    assert "Not saved automatically" in body
    assert "Contact phone" in body
    assert 'href="#id_contact_phone"' in body
    assert snapshot(draft) == before
    assert audit_count() == events


def test_autosave_after_submission_answers_with_a_message(applicant_client, submitted):
    before, events = snapshot(submitted), audit_count()
    response = applicant_client.post(
        autosave_url(submitted, "plan"), {"plan": "迟到的修改"}, **HTMX
    )
    assert response.status_code == 200
    assert "can no longer be changed" in text(response)
    assert snapshot(submitted) == before
    assert audit_count() == events


def test_autosave_is_refused_for_others_and_without_htmx(
    applicant_client, draft, stranger_client, staff_client
):
    before, events = snapshot(draft), audit_count()
    url = autosave_url(draft, "plan")
    assert stranger_client.post(url, {"plan": "篡改"}, **HTMX).status_code == 404
    assert staff_client.post(url, {"plan": "篡改"}, **HTMX).status_code == 403
    assert Client().post(url, {"plan": "篡改"}).status_code == 302
    logged_out = english(Client()).post(url, {"plan": "篡改"}, **HTMX)
    assert logged_out.status_code == 200
    assert "You are no longer logged in" in text(logged_out)
    assert applicant_client.post(url, {"plan": "没有htmx"}).status_code == 400
    assert applicant_client.get(url, **HTMX).status_code == 405
    assert snapshot(draft) == before
    assert audit_count() == events


# Confirmation before submitting ----------------------------------------------------------------


def test_confirmation_page_summarises_and_submits(applicant_client, draft):
    response = applicant_client.get(confirm_url(draft))
    assert response.status_code == 200
    body = text(response)
    assert draft.title in body
    assert draft.plan in body
    assert "Total funding: 500" in body
    for attachment in draft.attachments.all():
        assert attachment.original_name in body
    assert "cannot be changed, unless the office returns it" in body
    submit = reverse("portal:application_submit", args=[draft.pk])
    assert body.count(f'action="{submit}"') == 1

    response = applicant_client.post(submit, follow=True)
    draft.refresh_from_db()
    assert draft.state == ApplicationState.SUBMITTED
    assert "The application is submitted to the office." in text(response)


def test_confirmation_page_lists_problems_with_links_and_no_button(applicant_client, bare):
    response = applicant_client.get(confirm_url(bare))
    body = text(response)
    assert response.status_code == 200
    problems = dict((p, url) for p, url, _label in response.context["problems"])
    assert problems["The construction plan is required."] == step_url(bare, "plan")
    assert problems["The contact phone is required."] == step_url(bare, "contact")
    assert problems["Give at least one funding source with its amount."] == step_url(
        bare, "funding"
    )
    assert problems["The construction mode is required."] == step_url(bare, "overview")
    missing = (
        f"The attachment “{AttachmentKind(bare.call.required_attachments[0]).label}” is missing."
    )
    assert problems[missing] == step_url(bare, "attachments")
    assert f'href="{step_url(bare, "plan")}"' in body
    assert reverse("portal:application_submit", args=[bare.pk]) not in body


def test_detail_page_leads_to_the_confirmation(applicant_client, draft):
    body = text(applicant_client.get(reverse("portal:application_detail", args=[draft.pk])))
    assert confirm_url(draft) in body
    assert f'action="{reverse("portal:application_submit", args=[draft.pk])}"' not in body


def test_detail_page_links_each_problem_to_its_step(applicant_client, bare):
    response = applicant_client.get(reverse("portal:application_detail", args=[bare.pk]))
    problems = {p: url for p, url, _label in response.context["checklist_steps"]}
    assert problems["The construction plan is required."] == step_url(bare, "plan")
    assert f'href="{step_url(bare, "contact")}"' in text(response)


def test_confirmation_is_refused_to_others_and_after_submission(
    applicant_client, submitted, stranger_client, staff_client
):
    assert stranger_client.get(confirm_url(submitted)).status_code == 404
    assert staff_client.get(confirm_url(submitted)).status_code == 403
    response = applicant_client.get(confirm_url(submitted))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:application_detail", args=[submitted.pk])


# Attachment preview ----------------------------------------------------------------------------


def inline_url(application, attachment):
    return reverse("portal:attachment_inline", args=[application.pk, attachment.pk])


def preview_url(application, attachment):
    return reverse("portal:attachment_preview", args=[application.pk, attachment.pk])


def test_inline_pdf_headers(applicant_client, draft):
    attachment = draft.attachments.first()
    response = applicant_client.get(inline_url(draft, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_preview_page_embeds_the_pdf_with_a_download_fallback(applicant_client, draft):
    attachment = draft.attachments.first()
    detail = text(applicant_client.get(reverse("portal:application_detail", args=[draft.pk])))
    assert preview_url(draft, attachment) in detail
    response = applicant_client.get(preview_url(draft, attachment))
    assert response.status_code == 200
    body = text(response)
    assert f'<object class="pdf-preview" data="{inline_url(draft, attachment)}"' in body
    assert reverse("portal:attachment_download", args=[draft.pk, attachment.pk]) in body


def test_office_previews_a_submitted_application(staff_client, submitted):
    attachment = submitted.attachments.first()
    assert staff_client.get(preview_url(submitted, attachment)).status_code == 200
    assert staff_client.get(inline_url(submitted, attachment)).status_code == 200


@pytest.mark.parametrize(
    "who",
    ["stranger", "office_of_draft", "other_office", "expert", "approver", "supervisor", "nobody"],
)
def test_preview_is_refused(draft, stranger, staff, who):
    user = {
        "stranger": lambda: stranger,
        "office_of_draft": lambda: staff,  # a draft is not the office's yet
        "other_office": lambda: member(Role.OFFICE_STAFF, OfficeFactory()),
        "expert": lambda: member(Role.EXPERT, OrganisationFactory()),
        "approver": lambda: member(Role.DEPARTMENT_APPROVER, DepartmentFactory()),
        "supervisor": lambda: member(Role.SUPERVISOR, OfficeFactory()),
        "nobody": UserFactory,
    }[who]()
    client = logged_in(user)
    attachment = draft.attachments.first()
    for url in (inline_url(draft, attachment), preview_url(draft, attachment)):
        assert client.get(url).status_code == 404, url


def test_preview_of_a_foreign_attachment_and_anonymous(applicant_client, draft, stranger):
    from tests.factories import complete_application

    foreign = complete_application(organisation=stranger.memberships.get().organisation)
    attachment = foreign.attachments.first()
    assert applicant_client.get(inline_url(draft, attachment)).status_code == 404
    assert applicant_client.get(preview_url(draft, attachment)).status_code == 404
    own = draft.attachments.first()
    for url in (inline_url(draft, own), preview_url(draft, own)):
        response = Client().get(url)
        assert response.status_code == 302


def test_first_step_asks_an_applicant_of_several_organisations_which_one(call):
    from workflow.models import Membership

    first, second, other = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    user = member(Role.APPLICANT, first)
    Membership.objects.create(user=user, role=Role.APPLICANT, organisation=second)
    client = logged_in(user)
    url = reverse("portal:application_create", args=[call.pk])
    assert "organisation" in client.get(url).context["form"].fields

    refused = client.post(url, {"organisation": other.pk, "title": "别人的", "go": "next"})
    assert "organisation" in refused.context["form"].errors
    assert not Application.objects.exists()

    response = client.post(url, {"organisation": second.pk, "title": "第二个单位的", "go": "next"})
    application = Application.objects.get()
    assert application.organisation == second
    assert response["Location"] == step_url(application, "plan")
    assert (
        "organisation" not in client.get(step_url(application, "overview")).context["form"].fields
    )


def test_returned_application_is_edited_and_autosaved_through_the_steps(
    applicant_client, submitted, staff
):
    from workflow.services.applications import application_return

    application_return(application=submitted, by=staff, reason="请补充建设方案。")
    assert applicant_client.get(step_url(submitted, "plan")).status_code == 200
    response = applicant_client.post(
        autosave_url(submitted, "plan"), {"plan": "补充后的建设方案。"}, **HTMX
    )
    assert "Saved automatically at" in text(response)
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.RETURNED
    assert submitted.plan == "补充后的建设方案。"
    assert applicant_client.get(confirm_url(submitted)).status_code == 200
