"""Forms for the draw screen (office) and invitations (expert)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflow.choices import DrawMode
from workflow.services.base import MAX_REASON_LENGTH

DECLARATION = _(
    "I declare that I have no interest in any applicant or partner organisation of this review "
    "that could affect a fair judgement (no employment now or in the last three years, no seat "
    "on their board or board of supervisors, no controlling stake, no close relative among "
    "their legal representatives or project leads), and that I will keep the review documents "
    "and deliberations confidential."
)


class DrawConfigureForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=DrawMode.choices, initial=DrawMode.PANEL)
    panel_size = forms.IntegerField(label=_("Panel size"), min_value=1, max_value=51, initial=5)
    experts_per_application = forms.IntegerField(
        label=_("Experts per application"), min_value=1, max_value=15, initial=3
    )
    load_cap = forms.IntegerField(
        label=_("Most applications per expert"), min_value=1, max_value=500, initial=3
    )
    required_sectors = forms.CharField(
        label=_("Required sectors"),
        required=False,
        max_length=500,
        help_text=_("Separate sectors with “、” or commas; leave empty for the whole pool."),
    )
    cap_per_employer = forms.IntegerField(
        label=_("Most experts from one employer"), min_value=1, max_value=50, required=False
    )
    cap_per_region = forms.IntegerField(
        label=_("Most experts from one region"), min_value=1, max_value=50, required=False
    )
    alternates = forms.IntegerField(
        label=_("Ordered alternates"), min_value=0, max_value=10, initial=2
    )
    review_due = forms.DateTimeField(
        label=_("Scores due by"),
        required=False,
        help_text=_("Experts are reminded two days and one day before. Format: 2026-12-01 17:00"),
    )

    def clean_required_sectors(self) -> list[str]:
        raw = self.cleaned_data["required_sectors"]
        for separator in "、，,;；":
            raw = raw.replace(separator, ",")
        return sorted({part.strip() for part in raw.split(",") if part.strip()})


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_REASON_LENGTH
    )


class AcceptForm(forms.Form):
    confirm = forms.BooleanField(label=DECLARATION, required=True)
