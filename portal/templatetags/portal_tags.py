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
    "call.create": _("Call drafted"),
    "call.update": _("Call changed"),
    "call.publish": _("Call published"),
    "call.close": _("Applications closed"),
    "call.start_review": _("Expert review started"),
    "call.cancel": _("Call cancelled"),
    "avoidancerequest.file": _("Avoidance request filed"),
    "avoidancerequest.accept": _("Avoidance request accepted"),
    "avoidancerequest.refuse": _("Avoidance request refused"),
    "expert.create": _("Expert added to the pool"),
    "expert.update": _("Expert changed"),
    "expert.activate": _("Expert reactivated"),
    "expert.deactivate": _("Expert deactivated"),
    "draw.configure": _("Draw configured"),
    "draw.commit": _("Seed committed"),
    "draw.reveal": _("Experts drawn, seed revealed"),
    "draw.supersede": _("Draw set aside"),
    "draw.close": _("Review panel closed"),
    "draw.short": _("No alternate left"),
    "invitation.invite": _("Expert invited"),
    "invitation.accept": _("Invitation accepted"),
    "invitation.decline": _("Invitation declined"),
    "invitation.withdraw_for_conflict": _("Expert withdrawn for a conflict"),
    "assignment.submit": _("Score sheet submitted"),
    "assignment.reopen": _("Score sheet reopened"),
    "assignment.void": _("Score sheet void"),
    "score_sheet.save": _("Score sheet saved"),
    "score_sheet.explain": _("Score explained"),
    "value.verify": _("Value verified"),
    "ranking.confirm": _("Ranking confirmed"),
    "rubric.create": _("Rubric created"),
    "rubric.load_sample": _("Sample rubric loaded"),
    "rubric.create_from_template": _("Rubric created from a template"),
    "rubric.set_indicators": _("Rubric indicators set"),
    "rubric.update": _("Rubric changed"),
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

    @property
    def is_approver(self) -> bool:
        return any(m.role == Role.DEPARTMENT_APPROVER and m.department_id for m in self.memberships)


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
