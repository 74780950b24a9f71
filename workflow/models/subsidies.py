"""补助与奖励规则: subsidy rules kept as data, so a new policy is entered, not programmed.

The arithmetic lives in `workflow.rules.subsidies`; a row becomes a pure `SubsidyRule` through
`as_rule()`, and the figures are checked by the same `rule_problems` before they are saved.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow.rules import subsidies as rules
from workflow.rules.subsidies import SubsidyKind


class SubsidyRule(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=SubsidyKind.choices)
    rate = models.DecimalField(
        _("rate (share of cost, 0.5 = 50%)"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
    )
    cap = models.DecimalField(
        _("cap (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount_per_unit = models.DecimalField(
        _("amount per person (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    years = models.PositiveSmallIntegerField(_("years"), null=True, blank=True)
    annual_cap = models.DecimalField(
        _("annual cap (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exclusivity_group = models.SlugField(
        _("exclusivity group"),
        max_length=50,
        blank=True,
        help_text=_("Rules with the same group cannot be granted together."),
    )
    source = models.TextField(_("source text"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("subsidy rule")
        verbose_name_plural = _("subsidy rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=SubsidyKind.SHARE_OF_COST, rate__isnull=False)
                    | models.Q(
                        kind=SubsidyKind.PER_HEAD,
                        amount_per_unit__isnull=False,
                        years__isnull=False,
                    )
                ),
                name="subsidy_rule_figures_of_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.as_rule()
        except rules.SubsidyError as exc:
            raise ValidationError(exc.message) from exc

    def as_rule(self) -> rules.SubsidyRule:
        return rules.SubsidyRule(
            code=self.code,
            name=self.name,
            kind=self.kind,
            rate=self.rate,
            cap=self.cap,
            amount_per_unit=self.amount_per_unit,
            years=self.years,
            annual_cap=self.annual_cap,
            exclusivity_group=self.exclusivity_group,
            source=self.source,
        )
