from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.choices import AvoidanceRequestState, ExpertRelationKind
from workflow.models.applications import Application
from workflow.models.organisations import Organisation

AR = AvoidanceRequestState


class Expert(models.Model):
    """评审专家: a member of the expert pool (专家库)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="expert",
    )
    name = models.CharField(_("name"), max_length=100)
    employer = models.ForeignKey(
        Organisation,
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employed_experts",
    )
    employer_name = models.CharField(
        _("employer name"),
        max_length=200,
        blank=True,
        help_text=_("As declared; the employer link is used for recusal when it is known."),
    )
    title = models.CharField(_("professional title"), max_length=50)
    years_of_work = models.PositiveSmallIntegerField(_("years of work"))
    sectors = models.JSONField(_("sectors / fields"), default=list)
    region = models.CharField(_("region"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ExpertRelation(models.Model):
    """A relation the expert declared: past employment, a board seat, shares, kinship."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(_("kind"), max_length=32, choices=ExpertRelationKind.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(
        _("related person"),
        max_length=100,
        blank=True,
        help_text=_("For kinship: the legal representative or project lead concerned."),
    )
    relationship = models.CharField(_("relationship"), max_length=50, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("declared relation")
        verbose_name_plural = _("declared relations")
        constraints = [
            models.CheckConstraint(
                name="kinship_names_a_person",
                condition=~Q(kind=ExpertRelationKind.KINSHIP) | ~Q(person_name=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} · {self.get_kind_display()} · {self.organisation}"


class AvoidanceRequest(ConcurrentTransitionMixin, models.Model):
    """回避申请: an applicant asks that a named expert not review it (at most 3, with reasons);
    it binds once the office accepts it (国家自然科学基金条例 第十九条)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="avoidance_requests"
    )
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    state = FSMField(
        _("state"),
        choices=AvoidanceRequestState.choices,
        default=AvoidanceRequestState.PENDING,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("avoidance request")
        verbose_name_plural = _("avoidance requests")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "expert"], name="avoidance_once_per_expert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} ↛ {self.expert}"

    @transition(
        field=state, source=AvoidanceRequestState.PENDING, target=AvoidanceRequestState.ACCEPTED
    )
    def accept(self) -> None:
        pass

    @transition(
        field=state, source=AvoidanceRequestState.PENDING, target=AvoidanceRequestState.REFUSED
    )
    def refuse(self) -> None:
        pass
