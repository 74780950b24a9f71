import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import (
    ApplicationState,
    AttachmentKind,
    ConstructionMode,
    FormalCheckOutcome,
    FundingSource,
)
from workflow.models.calls import Call
from workflow.models.organisations import Organisation

S = ApplicationState

# States in which the applicant may still change the content.
EDITABLE_STATES = (S.DRAFT, S.RETURNED)


class Application(ConcurrentTransitionMixin, models.Model):
    """申报书: one organisation's proposal to one call.

    Later issues (review, publicity, countersign, landing) add states after APPROVED; the
    transitions stay here, one method each, and services in workflow.services.applications
    are the only callers.
    """

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    partners = models.ManyToManyField(
        Organisation,
        verbose_name=_("partner organisations"),
        blank=True,
        related_name="partnered_applications",
    )
    title = models.CharField(_("project title"), max_length=200)
    construction_mode = models.CharField(
        _("construction mode"), max_length=32, choices=ConstructionMode.choices, blank=True
    )
    functions = models.JSONField(_("functions"), default=list, blank=True)
    plan = models.TextField(_("construction plan"), blank=True)
    project_lead = models.CharField(_("project lead"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    indicator_values = models.JSONField(_("indicator values"), default=dict, blank=True)
    state = FSMField(_("state"), default=S.DRAFT, choices=S.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    correction_due = models.DateTimeField(_("correction due"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live application per organisation and call; a withdrawn one may be followed
            # by a new one.
            models.UniqueConstraint(
                fields=["call", "organisation"],
                condition=~Q(state=S.WITHDRAWN),
                name="application_one_live_per_call",
            )
        ]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.title}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @transition(field=state, source=[S.DRAFT, S.RETURNED], target=S.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=state, source=S.SUBMITTED, target=S.RETURNED)
    def return_for_correction(self) -> None:
        pass

    @transition(field=state, source=S.SUBMITTED, target=S.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=S.SUBMITTED, target=S.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=[S.SUBMITTED, S.RETURNED, S.ACCEPTED], target=S.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=S.ACCEPTED, target=S.UNDER_REVIEW)
    def start_review(self) -> None:
        pass

    @transition(field=state, source=S.UNDER_REVIEW, target=S.REVIEWED)
    def finish_review(self) -> None:
        pass

    @transition(field=state, source=S.REVIEWED, target=S.SHORTLISTED)
    def shortlist(self) -> None:
        pass

    @transition(field=state, source=S.REVIEWED, target=S.NOT_SELECTED)
    def not_select(self) -> None:
        pass

    @transition(field=state, source=S.SHORTLISTED, target=S.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=S.SHORTLISTED, target=S.NOT_APPROVED)
    def not_approve(self) -> None:
        pass

    # 揭榜落地 → 评审认定 → 授牌. Services in workflow.services.landing / award call these.

    @transition(field=state, source=S.APPROVED, target=S.CONSTRUCTING)
    def start_construction(self) -> None:
        pass

    @transition(field=state, source=[S.CONSTRUCTING, S.RECTIFYING], target=S.ACCEPTANCE)
    def declare_complete(self) -> None:
        pass

    @transition(field=state, source=S.ACCEPTANCE, target=S.RECTIFYING)
    def fail_acceptance(self) -> None:
        pass

    # APPROVED is a source only for direct-award calls: the service checks the call's route.
    @transition(field=state, source=[S.ACCEPTANCE, S.APPROVED], target=S.AWARDED)
    def award(self) -> None:
        pass

    @transition(
        field=state, source=[S.ACCEPTANCE, S.RECTIFYING, S.CONSTRUCTING], target=S.TERMINATED
    )
    def terminate(self) -> None:
        pass

    @transition(field=state, source=S.AWARDED, target=S.REVOKED)
    def revoke(self) -> None:
        pass


class ApplicationFunding(models.Model):
    """One line of the budget: how much comes from which funding source (万元)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(_("funding source"), max_length=32, choices=FundingSource.choices)
    amount = models.DecimalField(_("amount (10,000 yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "source"], name="funding_one_per_source"
            ),
            models.CheckConstraint(name="funding_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.amount}"


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never comes from the user: it cannot collide or traverse.
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}.pdf"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=_attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class FormalCheck(models.Model):
    """形式审查: the record of one formal-check decision, with its reason."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="formal_checks"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=FormalCheckOutcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("formal check")
        verbose_name_plural = _("formal checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.checked_at:%Y-%m-%d}"
