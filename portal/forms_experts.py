"""Forms of the expert pool (专家库) and the avoidance requests (回避申请).

Declared relations are typed in the same notation as the Excel sheet's cells ("单位名称|离职日期",
one per line), so the office learns one notation and the parser that checks the sheet checks the
form too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow import selectors
from workflow.experts_excel import (
    COL_BOARD,
    COL_FORMER,
    COL_KINSHIP,
    COL_SHARES,
    MAX_YEARS,
    ExpertEntry,
    format_relations,
    parse_relations,
    parse_sectors,
)
from workflow.models import Expert
from workflow.services.base import MAX_REASON_LENGTH
from workflow.services.experts import IMPORT_MAX_BYTES, expert_entry

from .forms import PortalForm, phone_validator

# Form field -> the sheet column whose notation it uses.
RELATION_FIELDS = {
    "former_employers": COL_FORMER,
    "board_roles": COL_BOARD,
    "shareholdings": COL_SHARES,
    "kinships": COL_KINSHIP,
}


def _relation_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=5000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExpertForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=32,
        validators=[phone_validator],
        help_text=_("Identifies the expert when the pool is imported from Excel."),
    )
    employer = forms.CharField(
        label=_("Employer"),
        required=False,
        max_length=200,
        help_text=_(
            "Write the registered name of the organisation so that recusal for the same legal "
            "entity can use it."
        ),
    )
    title = forms.CharField(
        label=_("Professional title"), max_length=50, help_text=_("For example 高级职称.")
    )
    years_of_work = forms.IntegerField(label=_("Years of work"), min_value=0, max_value=MAX_YEARS)
    sectors = forms.CharField(
        label=_("Sectors / fields"),
        required=False,
        max_length=1000,
        help_text=_("Separate several with “、”."),
    )
    region = forms.CharField(label=_("Region"), max_length=100)
    former_employers = _relation_field(
        _("Former employers"),
        _("One per line: organisation|date employment ended, e.g. 山西汽车集团|2022-06-30."),
    )
    board_roles = _relation_field(
        _("Director or supervisor of"),
        _("One per line: organisation|董事 or organisation|监事."),
    )
    shareholdings = _relation_field(
        _("Shareholdings and control"),
        _("One per line: organisation|控股股东, 实际控制人 or 股东."),
    )
    kinships = _relation_field(
        _("Relatives in organisations"),
        _("One per line: organisation|relative's name|relationship, e.g. 某职业学院|李某|配偶."),
    )

    def __init__(self, *args: Any, expert: Expert | None = None, **kwargs: Any) -> None:
        self.expert = expert
        if expert is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(expert_entry(expert))
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"inputmode": "tel"})
        self.relations: dict[str, list] = {}

    @staticmethod
    def initial_from(entry: ExpertEntry) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": entry.name,
            "phone": entry.phone,
            "employer": entry.employer,
            "title": entry.title,
            "years_of_work": entry.years_of_work,
            "sectors": "、".join(entry.sectors),
            "region": entry.region,
        }
        for name, column in RELATION_FIELDS.items():
            initial[name] = format_relations(column, entry.relations, sep="\n")
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, column in RELATION_FIELDS.items():
            if name in data:
                found, problems = parse_relations(column, data[name])
                for problem in problems:
                    self.add_error(name, problem)
                self.relations[name] = found
        return data

    def entry(self) -> ExpertEntry:
        data = self.cleaned_data
        relations = [r for name in RELATION_FIELDS for r in self.relations.get(name, [])]
        return ExpertEntry(
            name=data["name"].strip(),
            phone=data["phone"].strip(),
            employer=data["employer"].strip(),
            title=data["title"].strip(),
            years_of_work=data["years_of_work"],
            sectors=parse_sectors(data["sectors"]),
            region=data["region"].strip(),
            active=self.expert.active if self.expert is not None else True,
            relations=tuple(dict.fromkeys(relations)),
        )


ACTIVE_CHOICES = [("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))]


class ExpertPoolFilterForm(PortalForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["sector"].choices = every + [(s, s) for s in selectors.expert_sector_options()]
        self.fields["region"].choices = every + [(r, r) for r in selectors.expert_region_options()]
        self.fields["q"].widget.attrs.update({"type": "search"})

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        active = {"yes": True, "no": False}.get(data.get("active") or "")
        return {
            "q": (data.get("q") or "").strip(),
            "sector": data.get("sector") or "",
            "region": data.get("region") or "",
            "active": active,
        }


class ExpertImportForm(PortalForm):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "An .xlsx file with the columns of the export, at most %(limit)s."
        ) % {"limit": filesizeformat(IMPORT_MAX_BYTES)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than the limit of %(limit)s.")
                % {"limit": filesizeformat(IMPORT_MAX_BYTES)}
            )
        return upload


class ReasonForm(PortalForm):
    """A reason for a decision; required or optional depending on the decision."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason.")},
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if not required:
            self.fields["reason"].label = _("Reason (optional)")

    def clean_reason(self) -> str:
        reason = (self.cleaned_data.get("reason") or "").strip()
        if self.fields["reason"].required and not reason:
            raise forms.ValidationError(_("Give the reason."))
        return reason


class ExpertChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Expert) -> str:
        return f"{obj.name}（{obj.employer_name}）" if obj.employer_name else obj.name


class AvoidanceRequestForm(PortalForm):
    expert = ExpertChoiceField(
        label=_("Expert"), queryset=Expert.objects.none(), empty_label=_("— choose —")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why this expert cannot review your application fairly."),
        error_messages={"required": _("Give the reason.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "avoid")
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = selectors.avoidance_candidates()

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason."))
        return reason
