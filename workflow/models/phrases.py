"""常用意见: a user's own frequent opinions, inserted into opinion and reason fields with one click.

They are personal writing aids, not decisions: they are not audited, and only their owner sees
or changes them (workflow.services.phrases).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_PHRASE_LENGTH = 200
MAX_PHRASES_PER_USER = 30


class FrequentPhrase(models.Model):
    """常用意见: one phrase of one user, in the order the user chose."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="frequent_phrases",
    )
    text = models.CharField(_("phrase"), max_length=MAX_PHRASE_LENGTH)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("frequent opinion")
        verbose_name_plural = _("frequent opinions")
        ordering = ["user", "position", "id"]
        indexes = [models.Index(fields=["user", "position"])]

    def __str__(self) -> str:
        return self.text
