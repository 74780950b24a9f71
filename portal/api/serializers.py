"""What the API reads and writes. Output serializers shape model rows; input serializers only
check types and sizes, and the services (workflow.services) decide everything else."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from workflow.choices import (
    ApplicationState,
    AssignmentState,
    AttachmentKind,
    CallState,
    ConstructionMode,
    Function,
    FundingSource,
    Level,
)
from workflow.models import Application, Assignment, Attachment, Award, Call
from workflow.models.award import AwardState
from workflow.services.base import MAX_REASON_LENGTH

# Public --------------------------------------------------------------------------------------


class CallSerializer(serializers.ModelSerializer):
    """A call (榜单) as the public sees it once it is published."""

    office = serializers.CharField(source="office.name", read_only=True)
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    state = serializers.ChoiceField(choices=CallState.choices, read_only=True)
    functions = serializers.ListField(child=serializers.CharField(), read_only=True)
    eligible_applicant_types = serializers.ListField(child=serializers.CharField(), read_only=True)
    allowed_modes = serializers.ListField(child=serializers.CharField(), read_only=True)
    required_attachments = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Call
        fields = (
            "id",
            "title",
            "office",
            "sector",
            "level",
            "description",
            "functions",
            "eligible_applicant_types",
            "allowed_modes",
            "required_attachments",
            "quota",
            "opens_at",
            "closes_at",
            "state",
            "published_at",
        )
        read_only_fields = fields


class OfficeCallSerializer(CallSerializer):
    """A call of the user's own office, with its counts (drafts included)."""

    n_applications = serializers.IntegerField(read_only=True, default=None)
    n_waiting = serializers.IntegerField(read_only=True, default=None)

    class Meta(CallSerializer.Meta):
        fields = (*CallSerializer.Meta.fields, "n_applications", "n_waiting")
        read_only_fields = fields


class ProposedWinnerSerializer(serializers.Serializer):
    """A proposed winner on the public notice: organisation and project title, nothing else."""

    organisation = serializers.CharField(source="organisation.name", read_only=True)
    project = serializers.CharField(source="title", read_only=True)


class PublicNoticeSerializer(serializers.Serializer):
    """One call whose notice (公示) is running, with its proposed winners."""

    call = serializers.IntegerField(source="pk", read_only=True)
    title = serializers.CharField(read_only=True)
    office = serializers.CharField(source="office.name", read_only=True)
    starts_at = serializers.DateTimeField(source="publicity.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="publicity.ends_at", read_only=True)
    winners = ProposedWinnerSerializer(many=True, read_only=True)


class AwardSerializer(serializers.ModelSerializer):
    """One plaque (授牌) in the public register."""

    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    organisation = serializers.CharField(source="application.organisation.name", read_only=True)
    project = serializers.CharField(source="application.title", read_only=True)
    date = serializers.DateField(source="awarded_on", read_only=True)
    state = serializers.ChoiceField(choices=AwardState.choices, read_only=True)

    class Meta:
        model = Award
        fields = ("number", "level", "plaque_title", "organisation", "project", "date", "state")
        read_only_fields = fields


# Applications --------------------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    """An application (申报书) as its own organisation or the office sees it."""

    call_title = serializers.CharField(source="call.title", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    state = serializers.ChoiceField(choices=ApplicationState.choices, read_only=True)
    functions = serializers.ListField(child=serializers.CharField(), read_only=True)
    indicator_values = serializers.DictField(read_only=True)

    class Meta:
        model = Application
        fields = (
            "id",
            "call",
            "call_title",
            "organisation",
            "organisation_name",
            "title",
            "construction_mode",
            "functions",
            "plan",
            "project_lead",
            "contact_phone",
            "indicator_values",
            "state",
            "created_at",
            "updated_at",
            "submitted_at",
            "correction_due",
        )
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationSerializer):
    """With partners and the funding plan (source → amount, in 万元)."""

    partners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    funding = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = (*ApplicationSerializer.Meta.fields, "partners", "funding")
        read_only_fields = fields

    def get_funding(self, obj: Application) -> dict[str, str]:
        return {f.source: str(f.amount) for f in obj.funding.all()}


class ApplicationContentSerializer(serializers.Serializer):
    """The content an applicant writes; every field may be left out of an update."""

    title = serializers.CharField(max_length=200, required=False)
    construction_mode = serializers.ChoiceField(
        choices=ConstructionMode.choices, required=False, allow_blank=True
    )
    functions = serializers.ListField(
        child=serializers.ChoiceField(choices=Function.choices), required=False
    )
    plan = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    project_lead = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    indicator_values = serializers.DictField(required=False)
    partners = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=100
    )
    funding = serializers.DictField(
        child=serializers.DecimalField(
            max_digits=12, decimal_places=2, min_value=0, allow_null=True
        ),
        required=False,
        help_text=_("Funding source → amount in 万元 (10 000 yuan)."),
    )

    def validate_funding(self, value: dict) -> dict:
        unknown = set(value) - set(FundingSource.values)
        if unknown:
            raise serializers.ValidationError(_("Unknown funding source."))
        return value

    def content(self) -> dict:
        data = self.validated_data
        return {
            k: v
            for k, v in data.items()
            if k not in ("call", "organisation", "partners", "funding")
        }


class ApplicationCreateSerializer(ApplicationContentSerializer):
    call = serializers.IntegerField(min_value=1)
    organisation = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("Needed only when the user belongs to several organisations."),
    )
    title = serializers.CharField(max_length=200)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_REASON_LENGTH
    )


# Attachments ---------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    """A stored PDF of an application: what it is, its name and size, and where to fetch it."""

    kind = serializers.ChoiceField(choices=AttachmentKind.choices, read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ("id", "kind", "name", "size", "sha256", "uploaded_at", "download")
        read_only_fields = fields

    def get_download(self, obj: Attachment) -> str:
        return reverse("api:attachment_detail", args=[obj.application_id, obj.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    """multipart/form-data: what the document is, and the PDF itself. Only the type is checked
    here; attachment_add checks the content (a readable PDF) and the size limit."""

    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    # Empty files go on to the service, which refuses them with its own message.
    file = serializers.FileField(allow_empty_file=True, use_url=False)


# Expert --------------------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    """An expert's own score sheet: what the portal's list shows, never other experts' marks."""

    state = serializers.ChoiceField(choices=AssignmentState.choices, read_only=True)
    call = serializers.IntegerField(source="application.call_id", read_only=True)
    call_title = serializers.CharField(source="application.call.title", read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True)
    application_title = serializers.CharField(source="application.title", read_only=True)
    organisation_name = serializers.CharField(
        source="application.organisation.name", read_only=True
    )
    n_scored = serializers.IntegerField(read_only=True)

    class Meta:
        model = Assignment
        fields = (
            "id",
            "state",
            "call",
            "call_title",
            "application",
            "application_title",
            "organisation_name",
            "n_scored",
            "submitted_at",
            "total",
        )
        read_only_fields = fields


class ApplicationSummarySerializer(serializers.ModelSerializer):
    """What an expert permitted to read the application sees of it (the score sheet's facts)."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    functions = serializers.ListField(child=serializers.CharField(), read_only=True)
    indicator_values = serializers.DictField(read_only=True)

    class Meta:
        model = Application
        fields = (
            "id",
            "title",
            "organisation_name",
            "construction_mode",
            "functions",
            "plan",
            "indicator_values",
        )
        read_only_fields = fields


class AssignmentDetailSerializer(AssignmentSerializer):
    reopen_reason = serializers.CharField(read_only=True)
    application_summary = serializers.SerializerMethodField()

    class Meta(AssignmentSerializer.Meta):
        fields = (*AssignmentSerializer.Meta.fields, "reopen_reason", "application_summary")
        read_only_fields = fields

    @extend_schema_field(ApplicationSummarySerializer(allow_null=True))
    def get_application_summary(self, obj: Assignment) -> dict | None:
        if not self.context.get("may_view_application"):
            return None
        return ApplicationSummarySerializer(obj.application).data


# Score sheets --------------------------------------------------------------------------------


class GuidanceBandSerializer(serializers.Serializer):
    """One guidance band of an indicator: what a mark from `from` to `to` points means."""

    text = serializers.CharField(read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so these two cannot be class attributes.
        points = {"max_digits": 6, "decimal_places": 2, "read_only": True, "allow_null": True}
        return {
            "from": serializers.DecimalField(**points),
            "to": serializers.DecimalField(**points),
            **super().get_fields(),
        }


class SheetRowSerializer(serializers.Serializer):
    """One expert-judged indicator of the rubric, with the expert's own mark on it."""

    indicator = serializers.IntegerField(read_only=True, help_text=_("The indicator's id."))
    code = serializers.CharField(read_only=True)
    names = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("The names from the level-1 indicator down to this one."),
    )
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    unusual_below = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        read_only=True,
        help_text=_("A mark below this needs a comment before submitting."),
    )
    unusual_above = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        read_only=True,
        help_text=_("A mark above this needs a comment before submitting."),
    )
    guidance = GuidanceBandSerializer(many=True, read_only=True)
    score = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, allow_null=True
    )
    comment = serializers.CharField(read_only=True)


class ScoreSheetSerializer(serializers.Serializer):
    """An expert's own score sheet (评分表): the rubric's expert-judged rows and the expert's
    marks. Never another expert's marks, names or totals (blind review)."""

    assignment = serializers.IntegerField(read_only=True)
    application = serializers.IntegerField(read_only=True)
    application_title = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=AssignmentState.choices, read_only=True)
    editable = serializers.BooleanField(
        read_only=True, help_text=_("Whether marks can still be saved and the sheet submitted.")
    )
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reopen_reason = serializers.CharField(read_only=True)
    rubric = serializers.CharField(read_only=True, allow_null=True)
    total = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        read_only=True,
        help_text=_("The sum of the marks given so far."),
    )
    n_scored = serializers.IntegerField(read_only=True)
    rows = SheetRowSerializer(many=True, read_only=True)


@extend_schema_field(
    {
        "oneOf": [{"type": "number"}, {"type": "string", "format": "decimal"}],
        "nullable": True,
        "description": "Points from 0 to the indicator's maximum, at most two decimals; "
        "null or an empty string clears the mark.",
    }
)
class ScoreInputField(serializers.CharField):
    """A number or a decimal string, passed on as text to the same form field as the portal's,
    so that range and precision errors read the same."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=40, allow_null=True, allow_blank=True, trim_whitespace=False, **kwargs
        )


class MarkInputSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(min_value=1, help_text=_("The indicator's id."))
    # Left out: cleared by PUT, kept as saved by PATCH and on submission.
    score = ScoreInputField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class ScoreSheetInputSerializer(serializers.Serializer):
    """Marks to save. With PUT the list is the whole sheet (indicators left out are cleared);
    with PATCH and on submission only the indicators listed change."""

    marks = MarkInputSerializer(many=True, max_length=500)


class ScoreSheetSubmitSerializer(serializers.Serializer):
    marks = MarkInputSerializer(many=True, max_length=500, required=False)


# Tasks ---------------------------------------------------------------------------------------


class InboxRowSerializer(serializers.Serializer):
    """One row of 我的待办 (processes.engine.inbox)."""

    title = serializers.CharField(read_only=True)
    subject = serializers.CharField(read_only=True)
    due = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)
    url = serializers.CharField(read_only=True)


class ErrorSerializer(serializers.Serializer):
    """An error: the translated message, and for a refused decision the rule's problems."""

    detail = serializers.CharField(read_only=True)
    # Not read-only: a read-only field is documented as always present, and `problems` comes
    # only with a refused decision (not with 401, 404 or DRF's own 403).
    problems = serializers.ListField(child=serializers.CharField(), required=False)


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: bad fields give ``{field: [messages]}`` (nested for the marks of a score sheet);
    a refused decision (Invalid) or malformed JSON gives ``{"detail", "problems"}``."""

    detail = serializers.CharField(required=False)
    problems = serializers.ListField(child=serializers.CharField(), required=False)


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password; the roles that need a second factor add their current TOTP code."""

    otp_token = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        label=_("Six-digit code from your authenticator"),
        help_text=_(
            "Required for office staff, directors, department approvers and superusers when "
            "the second factor is switched on."
        ),
    )


class TokenSerializer(serializers.Serializer):
    """The user's API token: send it as ``Authorization: Token <key>``."""

    token = serializers.CharField(read_only=True)
