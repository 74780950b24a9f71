"""公示 and 异议: the public notice of proposed winners, and objections to them.

Provincial practice (RULES.md): 公示期为5个工作日; objections are made in writing, an
organisation's bearing its official seal (加盖公章), an individual's a real name and contact
details (具实名并附联系方式); 匿名或无具体事实根据的举报，不予受理.
《招标投标法实施条例》第五十四条: the answer is due within 3 days, and the activity is suspended
until it is given (作出答复前，应当暂停).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.models.applications import Application
from workflow.models.calls import Call

PUBLICITY_WORKING_DAYS = 5
ANSWER_WORKING_DAYS = 3


class ObjectorKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation (letter with official seal)")
    PERSON = "person", _("Individual (real name and contact details)")


class ObjectionState(models.TextChoices):
    RECEIVED = "received", _("Received, awaiting an answer")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class ObjectionOutcome(models.TextChoices):
    """What an upheld objection asks of the decision-makers; recorded, not executed."""

    WITHDRAW = "withdraw", _("Withdraw the item from the proposed winners")
    RE_REVIEW = "re_review", _("Review the item again")


class Publicity(models.Model):
    """公示: the notice period of one call's proposed winners."""

    call = models.OneToOneField(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="publicity"
    )
    starts_at = models.DateTimeField(_("notice starts"))
    working_days = models.PositiveSmallIntegerField(
        _("working days of notice"), default=PUBLICITY_WORKING_DAYS
    )
    ends_at = models.DateTimeField(_("notice ends"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="publicity_period_ordered",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            )
        ]

    def __str__(self) -> str:
        return str(self.call)


def _letter_path(instance: "Objection", filename: str) -> str:
    # Stored under MEDIA_ROOT, which is never served publicly; the name never comes from the user.
    return f"objections/{instance.publicity_id}/{uuid.uuid4().hex}.pdf"


class Objection(ConcurrentTransitionMixin, models.Model):
    """异议: one written objection to one proposed winner."""

    publicity = models.ForeignKey(
        Publicity,
        verbose_name=_("public notice"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    objector_kind = models.CharField(_("objector"), max_length=16, choices=ObjectorKind.choices)
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    letter = models.FileField(_("sealed letter (PDF)"), upload_to=_letter_path, blank=True)
    letter_name = models.CharField(_("file name"), max_length=255, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    person_name = models.CharField(_("real name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    facts = models.TextField(_("facts"))
    state = FSMField(
        _("state"),
        default=ObjectionState.RECEIVED,
        choices=ObjectionState.choices,
        protected=True,
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"))
    answer_due = models.DateTimeField(_("answer due"))
    answer = models.TextField(_("answer"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ObjectionOutcome.choices, blank=True
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["application", "state"])]

    def __str__(self) -> str:
        return f"{self.application} · {self.received_at:%Y-%m-%d}"

    @property
    def objector(self) -> str:
        if self.objector_kind == ObjectorKind.ORGANISATION:
            return self.organisation_name
        return self.person_name

    @transition(field=state, source=ObjectionState.RECEIVED, target=ObjectionState.UPHELD)
    def uphold(self) -> None:
        pass

    @transition(field=state, source=ObjectionState.RECEIVED, target=ObjectionState.DISMISSED)
    def dismiss(self) -> None:
        pass
