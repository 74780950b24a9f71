"""专家抽取 and 评审任务: draws, invitations and assignments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import UserObjectPermissionBase

from workflow.choices import AssignmentState, DrawMode, DrawState, InvitationState
from workflow.models.applications import Application
from workflow.models.calls import Call
from workflow.models.experts import Expert

D = DrawState
I = InvitationState  # noqa: E741
A = AssignmentState


class Draw(ConcurrentTransitionMixin, models.Model):
    """专家抽取: a reproducible random draw for one call.

    The draw is a deterministic function of (seed, pool snapshot, rules). The seed's SHA-256 is
    committed to the audit trail before drawing and the seed revealed after, so anyone can
    re-run it (`manage.py draw_verify`) and nobody can pick an expert by hand
    (招标投标法实施条例 第四十六条).
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="draws")
    mode = models.CharField(_("mode"), max_length=20, choices=DrawMode.choices)
    panel_size = models.PositiveSmallIntegerField(_("panel size"), default=5)
    experts_per_application = models.PositiveSmallIntegerField(
        _("experts per application"), default=3
    )
    load_cap = models.PositiveSmallIntegerField(_("most applications per expert"), default=3)
    required_sectors = models.JSONField(_("required sectors"), default=list, blank=True)
    cap_per_employer = models.PositiveSmallIntegerField(
        _("most experts from one employer"), null=True, blank=True
    )
    cap_per_region = models.PositiveSmallIntegerField(
        _("most experts from one region"), null=True, blank=True
    )
    alternates = models.PositiveSmallIntegerField(_("ordered alternates"), default=2)
    review_due = models.DateTimeField(_("scores due by"), null=True, blank=True)
    state = FSMField(_("state"), choices=D.choices, default=D.CONFIGURED, protected=True)
    seed_commitment = models.CharField(_("seed commitment (SHA-256)"), max_length=64, blank=True)
    seed = models.CharField(_("revealed seed"), max_length=64, blank=True)
    inputs = models.JSONField(_("recorded inputs"), default=dict, blank=True)
    inputs_digest = models.CharField(max_length=64, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    redraw_reason = models.TextField(_("reason for the redraw"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("expert draw")
        verbose_name_plural = _("expert draws")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="draw_sizes_positive", condition=Q(panel_size__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.call} · {self.get_mode_display()} #{self.pk}"

    @transition(field=state, source=D.CONFIGURED, target=D.COMMITTED)
    def commit(self) -> None:
        pass

    @transition(field=state, source=D.COMMITTED, target=D.DRAWN)
    def reveal(self) -> None:
        pass

    @transition(field=state, source=[D.CONFIGURED, D.COMMITTED, D.DRAWN], target=D.SUPERSEDED)
    def supersede(self) -> None:
        pass

    @transition(field=state, source=D.DRAWN, target=D.CLOSED)
    def close(self) -> None:
        pass


class Invitation(ConcurrentTransitionMixin, models.Model):
    """One drawn expert's place: invited, or an ordered alternate in reserve.

    In panel mode `application` is empty (the panel reviews every application); in
    correspondence mode each invitation is for one application.
    """

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="invitations")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="invitations")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    is_alternate = models.BooleanField(_("alternate"), default=False)
    state = FSMField(_("state"), choices=I.choices, default=I.RESERVE, protected=True)
    declaration = models.TextField(_("no-conflict declaration"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["draw", "application", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "application", "expert"], name="invitation_once_per_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} · {self.get_state_display()}"

    @transition(field=state, source=I.RESERVE, target=I.INVITED)
    def invite(self) -> None:
        pass

    @transition(field=state, source=I.INVITED, target=I.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=state, source=I.INVITED, target=I.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=state, source=[I.INVITED, I.ACCEPTED], target=I.CONFLICT)
    def withdraw_for_conflict(self) -> None:
        pass

    @transition(field=state, source=[I.RESERVE, I.INVITED, I.ACCEPTED], target=I.SUPERSEDED)
    def supersede(self) -> None:
        pass


class Assignment(ConcurrentTransitionMixin, models.Model):
    """评审任务: one expert reviewing one application; it carries the score sheet's state."""

    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="assignments"
    )
    state = FSMField(_("state"), choices=A.choices, default=A.OPEN, protected=True)
    explanation = models.TextField(
        _("written explanation"),
        blank=True,
        help_text=_("Required when the expert's total differs markedly from the panel mean."),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The sheet's weighted total, fixed when it is submitted (and cleared when reopened), so
    # the ranking reads one number per sheet instead of summing every mark.
    total = models.DecimalField(
        _("total"), max_digits=7, decimal_places=2, null=True, blank=True, editable=False
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["application", "expert"]
        permissions = [("score_assignment", _("Can score this assignment"))]
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "application"],
                condition=~Q(state=A.VOID),
                name="assignment_one_live_per_expert",
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.application_id}"

    @transition(field=state, source=[A.OPEN, A.REOPENED], target=A.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=state, source=A.SUBMITTED, target=A.REOPENED)
    def reopen(self) -> None:
        pass

    @transition(field=state, source=[A.OPEN, A.SUBMITTED, A.REOPENED], target=A.VOID)
    def void(self) -> None:
        pass


# Direct foreign-key object permissions (django-guardian): joins on an integer key instead of
# the generic (content_type, object_pk text) pair, which is slow at volume.
class AssignmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)
