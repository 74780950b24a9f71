"""factory_boy factories for the domain. Users get their role through a Membership."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from workflow.choices import (
    ApplicantType,
    AttachmentKind,
    ConstructionMode,
    Function,
    FundingSource,
    Level,
    Role,
)
from workflow.models import (
    Application,
    ApplicationFunding,
    Attachment,
    Call,
    Department,
    Membership,
    Office,
    Organisation,
)

PASSWORD = "pw-for-tests-only"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"产教融合联席会议办公室{n}")
    level = Level.PROVINCE
    region = "山西省"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"成员单位{n}")
    short_name = factory.Sequence(lambda n: f"单位{n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"申报单位{n}")
    applicant_type = ApplicantType.VOCATIONAL_SCHOOL
    region = "太原市"
    legal_representative = "张三"


def member(role: Role, unit, **user_kwargs):
    """A user holding `role` in `unit` (an Organisation, Office or Department)."""
    user = UserFactory(**user_kwargs)
    key = {Organisation: "organisation", Office: "office", Department: "department"}[type(unit)]
    Membership.objects.create(user=user, role=role, **{key: unit})
    return user


class CallFactory(factory.django.DjangoModelFactory):
    """A call open for applications now (published through the service in `published_call`)."""

    class Meta:
        model = Call

    office = factory.SubFactory(OfficeFactory)
    title = factory.Sequence(lambda n: f"新能源汽车产教融合实训基地{n}")
    sector = "新能源汽车"
    level = Level.PROVINCE
    description = "面向新能源汽车产业集群，建设集实训、创新、生产于一体的实训基地。"
    functions = factory.LazyFunction(lambda: [Function.TRAINING, Function.INNOVATION])
    eligible_applicant_types = factory.LazyFunction(
        lambda: [ApplicantType.VOCATIONAL_SCHOOL, ApplicantType.UNIVERSITY]
    )
    allowed_modes = factory.LazyFunction(
        lambda: [ConstructionMode.SCHOOL_LED, ConstructionMode.ENTERPRISE_LED]
    )
    quota = 2
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


def published_call(**kwargs) -> Call:
    """A call in the published state, moved there by the real service."""
    from workflow.services.calls import call_publish

    call = CallFactory(**kwargs)
    staff = member(Role.OFFICE_STAFF, call.office)
    return call_publish(call=call, by=staff)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft: every field filled; attachments added by `complete_application`."""

    class Meta:
        model = Application

    call = factory.LazyFunction(published_call)
    organisation = factory.SubFactory(OrganisationFactory)
    title = "新能源汽车智能制造实训基地建设项目"
    construction_mode = ConstructionMode.SCHOOL_LED
    functions = factory.LazyFunction(lambda: [Function.TRAINING, Function.INNOVATION])
    plan = "建设实训车间两处，年培训学员1000人次。"
    project_lead = "李四"
    contact_phone = "0351-1234567"


def pdf_bytes(pages: int = 1) -> bytes:
    """A small valid PDF made with pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_upload(name: str = "申报书.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, "application/pdf")


def complete_application(**kwargs) -> Application:
    """A draft that satisfies every submission rule of its call."""
    application = ApplicationFactory(**kwargs)
    ApplicationFunding.objects.create(
        application=application, source=FundingSource.SELF_RAISED, amount=Decimal("500.00")
    )
    for kind in application.call.required_attachments:
        Attachment.objects.create(
            application=application,
            kind=kind,
            file=SimpleUploadedFile("a.pdf", pdf_bytes()),
            original_name=f"{AttachmentKind(kind).label}.pdf",
            size=100,
            sha256="0" * 64,
        )
    return application


def force_state(obj, state: str) -> None:
    """Test set-up only: put an object straight into a state, bypassing the services, so a
    transition can be tried from every state. Application code never does this."""
    type(obj).objects.filter(pk=obj.pk).update(state=state)
    obj.refresh_from_db()


# --- Expert review: scoring (issue 3) -----------------------------------------------------------
# Until the draw and invitation services are wired into these tests, assignments are made here
# directly, with the object permissions the invitation service grants on acceptance.


class DrawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "workflow.Draw"

    call = factory.LazyFunction(published_call)
    mode = "panel"
    created_by = factory.SubFactory(UserFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "workflow.Invitation"

    draw = factory.SubFactory(DrawFactory)
    expert = factory.SubFactory("tests.factories.ReviewExpertFactory")
    position = factory.Sequence(lambda n: n + 1)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An open score sheet, with the permissions an accepted invitation grants."""

    class Meta:
        model = "workflow.Assignment"
        skip_postgeneration_save = True

    invitation = factory.SubFactory(InvitationFactory)
    expert = factory.SelfAttribute("invitation.expert")
    application = factory.SubFactory(ApplicationFactory)

    @factory.post_generation
    def grant(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            from guardian.shortcuts import assign_perm

            assign_perm("workflow.score_assignment", obj.expert.user, obj)
            assign_perm("workflow.view_application", obj.expert.user, obj.application)


def review_call(*, applications: int = 2, rubric: str | None = "shanxi", **call_kwargs):
    """A call under expert review with `applications` applications under review, the office's
    staff member and (unless rubric=None) a sample rubric loaded onto it.

    Returns (call, staff, applications). States are forced: set-up only.
    """
    from workflow.choices import ApplicationState, CallState
    from workflow.services.rubrics import rubric_load_sample

    call = published_call(**call_kwargs)
    staff = member(Role.OFFICE_STAFF, call.office)
    made = []
    for n in range(applications):
        application = complete_application(call=call, title=f"实训基地建设项目{n + 1}")
        application.submitted_at = timezone.now() - dt.timedelta(hours=applications - n)
        application.save(update_fields=["submitted_at"])
        force_state(application, ApplicationState.UNDER_REVIEW)
        made.append(application)
    force_state(call, CallState.UNDER_REVIEW)
    if rubric:
        rubric_load_sample(key=rubric, by=None, call=call)
    return call, staff, made


def review_panel(call, applications, experts: int = 3):
    """A drawn panel of `experts` experts, each with an open sheet on every application.

    Returns (draw, {expert: [assignment per application]}).
    """
    from workflow.choices import DrawState, InvitationState

    draw = DrawFactory(call=call, created_by=member(Role.OFFICE_STAFF, call.office))
    force_state(draw, DrawState.DRAWN)
    sheets = {}
    for _n in range(experts):
        invitation = InvitationFactory(draw=draw)
        force_state(invitation, InvitationState.ACCEPTED)
        sheets[invitation.expert] = [
            AssignmentFactory(invitation=invitation, application=a) for a in applications
        ]
    return draw, sheets


# Expert pool (专家库) ------------------------------------------------------------------------


def _former_employer() -> str:
    from workflow.choices import ExpertRelationKind

    return ExpertRelationKind.FORMER_EMPLOYER


class ExpertFactory(factory.django.DjangoModelFactory):
    """A pool member with its own login; the expert role is held in its employer, if any."""

    class Meta:
        model = "workflow.Expert"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"专家{n}")
    employer = factory.SubFactory(OrganisationFactory)
    employer_name = factory.LazyAttribute(lambda o: o.employer.name if o.employer else "")
    title = "高级职称"
    years_of_work = 15
    sectors = factory.LazyFunction(lambda: ["新能源汽车"])
    region = "太原市"
    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        if create and obj.employer_id:
            Membership.objects.get_or_create(
                user=obj.user, role=Role.EXPERT, organisation=obj.employer
            )


class ReviewExpertFactory(ExpertFactory):
    """A pool member whose employer is not a unit in the system (declared by name only)."""

    name = factory.Sequence(lambda n: f"评审专家{n}")
    employer = None
    employer_name = "山西某研究院"
    title = "正高级工程师"


class ExpertRelationFactory(factory.django.DjangoModelFactory):
    """A declared relation; by default a former employer left a year ago."""

    class Meta:
        model = "workflow.ExpertRelation"

    expert = factory.SubFactory(ExpertFactory)
    kind = factory.LazyFunction(_former_employer)
    organisation = factory.SubFactory(OrganisationFactory)
    ended_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))


def marks_at(call, share: str, comment: str = "") -> dict:
    """A mark for every expert-judged indicator of the call's rubric: `share` of its points,
    rounded half up to two decimals (code -> Mark)."""
    from decimal import ROUND_HALF_UP

    from workflow.rules.scoring import Mark
    from workflow.selectors.scoring import call_rubric_tree

    tree = call_rubric_tree(call)
    return {
        i.code: Mark(
            (i.weight * Decimal(share)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), comment
        )
        for i in tree.judged
    }


def submit_at(assignment, share: str, comment: str = "依据申报材料评分") -> None:
    """Submit the sheet through the service, every mark at `share` of its points (with a
    comment, so that unusual marks pass)."""
    from workflow.services.scoring import score_sheet_submit

    call = assignment.application.call
    score_sheet_submit(
        assignment=assignment, by=assignment.expert.user, marks=marks_at(call, share, comment)
    )


def judged_total(call, share: str) -> Decimal:
    return sum((m.value for m in marks_at(call, share).values()), Decimal(0))


# Through the services, for the draw tests ---------------------------------------------------


def call_under_review(n_applications: int = 3):
    """Like review_call, but every step through the real services (formal checks, start of
    review); returns the call, the applications and an office staff user."""
    from workflow.choices import CallState
    from workflow.services.applications import application_accept, application_submit
    from workflow.services.calls import call_start_review

    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    applications = []
    for _ in range(n_applications):
        application = complete_application(call=call)
        applicant = member(Role.APPLICANT, application.organisation)
        application_submit(application=application, by=applicant)
        application_accept(application=application, by=staff)
        applications.append(application)
    force_state(call, CallState.CLOSED)
    call_start_review(call=call, by=staff)
    for application in applications:
        application.refresh_from_db()
    return call, applications, staff


def make_expert(**fields):
    """A pool member employed by a fresh organisation unless `employer` is given."""
    return ExpertFactory(**fields)


def expert_pool(n: int, **kwargs) -> list:
    return [make_expert(**kwargs) for _ in range(n)]


# Countersign (会签, issue 5) ------------------------------------------------------------------


def agreed_countersign(call, departments: int = 2):
    """An agreed countersign round of a call in PUBLICITY, through the services: office staff
    open it and an approver of every member department agrees (departments are made if the
    office has none). Returns the round."""
    from workflow.services.countersign import countersign_open, countersign_sign

    if not call.office.departments.exists():
        for _n in range(departments):
            DepartmentFactory(office=call.office)
    staff = member(Role.OFFICE_STAFF, call.office)
    countersign_round = countersign_open(call=call, by=staff)
    for countersign in countersign_round.countersigns.select_related("department"):
        approver = member(Role.DEPARTMENT_APPROVER, countersign.department)
        countersign_sign(countersign=countersign, by=approver, agree=True, opinion="同意。")
    countersign_round.refresh_from_db()
    return countersign_round
