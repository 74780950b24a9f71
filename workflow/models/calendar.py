from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow.choices import CalendarDayKind


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a public holiday or an adjusted working day
    (调休上班). The State Council publishes the next year's calendar each winter, so this is data
    an office edits, seeded for 2025 and 2026 from the chinese-calendar package."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
