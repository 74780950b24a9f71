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
