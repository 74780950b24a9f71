from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import AttachmentKind, CallRoute, CallState, CountersignMode, Level
from workflow.models.organisations import Office

S = CallState


def _default_required_attachments() -> list[str]:
    return [AttachmentKind.APPLICATION_FORM, AttachmentKind.LEGAL_ENTITY_CERTIFICATE]


class Call(ConcurrentTransitionMixin, models.Model):
    """榜单: one published list item. Its state moves only through the transitions below,
    which are called by the services in workflow.services.calls."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="calls"
    )
    title = models.CharField(_("title"), max_length=200)
    sector = models.CharField(_("sector"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    description = models.TextField(_("description"))
    functions = models.JSONField(_("required functions"), default=list)
    eligible_applicant_types = models.JSONField(_("eligible applicant types"), default=list)
    allowed_modes = models.JSONField(_("allowed construction modes"), default=list)
    required_attachments = models.JSONField(
        _("required attachments"), default=_default_required_attachments
    )
    quota = models.PositiveIntegerField(_("quota"))
    route = models.CharField(
        _("route to the plaque"),
        max_length=16,
        choices=CallRoute.choices,
        default=CallRoute.SELECTION,
    )
    countersign_mode = models.CharField(
        _("countersign mode"),
        max_length=8,
        choices=CountersignMode.choices,
        default=CountersignMode.ALL,
    )
    opens_at = models.DateTimeField(_("applications open"))
    closes_at = models.DateTimeField(_("applications close"))
    correction_working_days = models.PositiveSmallIntegerField(
        _("working days allowed for a correction"), default=5
    )
    state = FSMField(_("state"), default=S.DRAFT, choices=S.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-opens_at", "id"]
        indexes = [models.Index(fields=["state", "closes_at"])]
        constraints = [
            models.CheckConstraint(
                name="call_window_ordered", condition=models.Q(closes_at__gt=models.F("opens_at"))
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def window_is_open(self) -> bool:
        """Published and inside [opens_at, closes_at) by the server clock. A published call
        whose window has passed waits for the office to close it; users see it as closed."""
        from django.utils import timezone

        return self.state == S.PUBLISHED and self.opens_at <= timezone.now() < self.closes_at

    @transition(field=state, source=S.DRAFT, target=S.PUBLISHED)
    def publish(self) -> None:
        pass

    @transition(field=state, source=S.PUBLISHED, target=S.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=state, source=S.CLOSED, target=S.UNDER_REVIEW)
    def start_review(self) -> None:
        pass

    @transition(field=state, source=S.UNDER_REVIEW, target=S.PUBLICITY)
    def start_publicity(self) -> None:
        pass

    @transition(field=state, source=S.PUBLICITY, target=S.DECIDED)
    def decide(self) -> None:
        pass

    @transition(field=state, source=S.DECIDED, target=S.ARCHIVED)
    def archive(self) -> None:
        pass

    @transition(field=state, source=[S.DRAFT, S.PUBLISHED], target=S.CANCELLED)
    def cancel(self) -> None:
        pass
