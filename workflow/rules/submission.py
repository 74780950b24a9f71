"""What an application must satisfy to be submitted (Shanxi plan 二(二), 四(二)-(三)).

The server clock decides; the window is [opens_at, closes_at). An application returned for
correction may be resubmitted until its correction deadline even after the window closed,
because the office chose to give it that time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from workflow.choices import ApplicantType, AttachmentKind, ConstructionMode, Function


@dataclass(frozen=True)
class CallTerms:
    opens_at: dt.datetime
    closes_at: dt.datetime
    eligible_applicant_types: Collection[str]
    allowed_modes: Collection[str]
    functions: Collection[str]
    required_attachments: Collection[str]


@dataclass(frozen=True)
class ApplicationContent:
    applicant_type: str
    title: str = ""
    construction_mode: str = ""
    functions: Collection[str] = ()
    plan: str = ""
    project_lead: str = ""
    contact_phone: str = ""
    funding: dict[str, Decimal] = field(default_factory=dict)
    attachment_kinds: Collection[str] = ()


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _when(moment: dt.datetime) -> str:
    from django.utils import timezone

    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def window_problem(
    terms: CallTerms, now: dt.datetime, correction_due: dt.datetime | None = None
) -> str | None:
    if correction_due is not None and now <= correction_due:
        return None
    if now < terms.opens_at:
        return _("Applications open at %(time)s.") % {"time": _when(terms.opens_at)}
    if now >= terms.closes_at:
        if correction_due is not None:
            return _("The correction deadline %(time)s has passed.") % {
                "time": _when(correction_due)
            }
        return _("Applications closed at %(time)s.") % {"time": _when(terms.closes_at)}
    return None


def eligibility_problems(terms: CallTerms, content: ApplicationContent) -> list[str]:
    problems = []
    if content.applicant_type not in terms.eligible_applicant_types:
        problems.append(
            _("Applicants of type “%(type)s” may not apply to this call.")
            % {"type": _label(ApplicantType, content.applicant_type)}
        )
    if content.construction_mode and content.construction_mode not in terms.allowed_modes:
        problems.append(
            _("The construction mode “%(mode)s” is not allowed for this call.")
            % {"mode": _label(ConstructionMode, content.construction_mode)}
        )
    return problems


def completeness_problems(terms: CallTerms, content: ApplicationContent) -> list[str]:
    problems = []
    required_text = [
        (content.title, _("project title")),
        (content.construction_mode, _("construction mode")),
        (content.plan, _("construction plan")),
        (content.project_lead, _("project lead")),
        (content.contact_phone, _("contact phone")),
    ]
    for value, name in required_text:
        if not str(value).strip():
            problems.append(_("The %(field)s is required.") % {"field": name})
    missing_functions = [f for f in terms.functions if f not in set(content.functions)]
    if missing_functions:
        problems.append(
            _("The call requires these functions: %(functions)s.")
            % {"functions": "、".join(_label(Function, f) for f in missing_functions)}
        )
    if sum(content.funding.values(), Decimal(0)) <= 0:
        problems.append(_("Give at least one funding source with its amount."))
    missing = [k for k in terms.required_attachments if k not in set(content.attachment_kinds)]
    for kind in missing:
        problems.append(
            _("The attachment “%(kind)s” is missing.") % {"kind": _label(AttachmentKind, kind)}
        )
    return problems


def submission_problems(
    terms: CallTerms,
    content: ApplicationContent,
    now: dt.datetime,
    correction_due: dt.datetime | None = None,
) -> list[str]:
    """Every reason the application cannot be submitted now; empty when it can."""
    window = window_problem(terms, now, correction_due)
    return (
        ([window] if window else [])
        + eligibility_problems(terms, content)
        + (completeness_problems(terms, content))
    )
