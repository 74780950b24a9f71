"""Template helpers: labels for stored codes, and who the user is for the page header."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from workflow import selectors
from workflow.choices import (
    ApplicantType,
    ApplicationState,
    AttachmentKind,
    CallState,
    ConstructionMode,
    DrawState,
    Function,
    FundingSource,
    InvitationState,
    Role,
)
from workflow.models import Expert, Membership

register = template.Library()

CHOICES = {
    "applicant_type": ApplicantType,
    "application_state": ApplicationState,
    "attachment": AttachmentKind,
    "call_state": CallState,
    "draw_state": DrawState,
    "invitation_state": InvitationState,
    "function": Function,
    "funding": FundingSource,
    "mode": ConstructionMode,
    "role": Role,
}

# What the audit trail's action codes mean to a reader.
AUDIT_ACTIONS = {
    "application.create": _("Draft created"),
    "application.update": _("Content changed"),
    "attachment.add": _("Document uploaded"),
    "attachment.remove": _("Document removed"),
    "application.submit": _("Submitted"),
    "application.withdraw": _("Withdrawn"),
    "application.accept": _("Passed the formal check"),
    "application.return_for_correction": _("Returned for correction"),
    "application.reject": _("Rejected"),
    "application.start_review": _("Expert review started"),
    "application.finish_review": _("Expert review finished"),
    "application.shortlist": _("Shortlisted"),
    "application.not_select": _("Not selected"),
    "application.approve": _("Approved"),
    "application.not_approve": _("Not approved"),
}


def _label(kind: str, value: str) -> str:
    choices = CHOICES[kind]
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def label(value: str, kind: str) -> str:
    """{{ code|label:"function" }} → the translated label of a stored code."""
    if value in (None, ""):
        return ""
    return _label(kind, value)


@register.filter
def labels(values, kind: str) -> list[str]:
    """{{ codes|labels:"function" }} → the labels of a list of stored codes."""
    return [_label(kind, v) for v in values or ()]


@register.filter
def audit_action(code: str) -> str:
    return str(AUDIT_ACTIONS.get(code, code))


@dataclass
class Roles:
    memberships: list[Membership] = field(default_factory=list)
    # Experts are whoever has a pool entry; their employer need not be a unit in the system.
    is_expert: bool = False

    @property
    def is_applicant(self) -> bool:
        return any(m.role == Role.APPLICANT and m.organisation_id for m in self.memberships)

    @property
    def is_office(self) -> bool:
        return any(m.role in selectors.OFFICE_ROLES and m.office_id for m in self.memberships)



@register.simple_tag
def user_roles(request: HttpRequest) -> Roles:
    """The user's roles, read once per request for the header and navigation."""
    cached = getattr(request, "_portal_roles", None)
    if cached is None:
        user = request.user
        cached = Roles(
            selectors.memberships_of(user),
            is_expert=user.is_authenticated and Expert.objects.filter(user=user).exists(),
        )
        request._portal_roles = cached
    return cached
