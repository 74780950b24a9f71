from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workflow.choices import ApplicantType, Level, Role
from workflow.rules.credit_code import validate_credit_code


class Office(models.Model):
    """联席会议办公室 / 工作专班: organises calls at one level and region of the "10+N" system."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    region = models.CharField(_("region"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent office"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["level", "region", "name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """成员单位: a member department of the joint meeting; countersigns its office's decisions."""

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50)

    class Meta:
        verbose_name = _("member department")
        verbose_name_plural = _("member departments")
        ordering = ["office", "id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="department_unique_per_office")
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """申报主体: an applicant body."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    applicant_type = models.CharField(
        _("applicant type"), max_length=32, choices=ApplicantType.choices
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    region = models.CharField(_("region"), max_length=100)
    legal_representative = models.CharField(_("legal representative"), max_length=100)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # Blank means "none": stored as NULL so that many organisations may lack a code.
        self.credit_code = (self.credit_code or "").strip().upper() or None
        super().clean_fields(exclude)


class Membership(models.Model):
    """A user's role in exactly one unit: an organisation, an office or a department.

    The role is scoped: office staff act for their own office's calls only, applicants for their
    own organisation only. A plain Django group could not carry that scope.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), null=True, blank=True, on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_exactly_one_unit",
                condition=(
                    Q(organisation__isnull=False, office__isnull=True, department__isnull=True)
                    | Q(organisation__isnull=True, office__isnull=False, department__isnull=True)
                    | Q(organisation__isnull=True, office__isnull=True, department__isnull=False)
                ),
            ),
            # One constraint per unit: NULLs never compare equal, so a single constraint over
            # all three unit columns would never fire.
            *(
                models.UniqueConstraint(
                    fields=["user", "role", unit],
                    condition=Q(**{f"{unit}__isnull": False}),
                    name=f"membership_unique_{unit}",
                )
                for unit in ("organisation", "office", "department")
            ),
        ]

    def __str__(self) -> str:
        unit = self.organisation or self.office or self.department
        return f"{self.user} · {self.get_role_display()} · {unit}"
