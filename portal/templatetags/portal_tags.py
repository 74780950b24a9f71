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
    "rubric.copy": _("Rubric copied from an earlier call"),
    "rubric.set_indicators": _("Rubric indicators set"),
    "rubric.update": _("Rubric changed"),
    # Publicity, countersign and the director's decision.
    "call.start_publicity": _("Public notice started"),
    "call.decide": _("Call decided"),
    "call.archive": _("Call archived"),
    "publicity.open": _("Public notice opened"),
    "objection.file": _("Objection lodged"),
    "objection.uphold": _("Objection upheld"),
    "objection.dismiss": _("Objection dismissed"),
    "countersignround.open": _("Countersign round opened"),
    "countersignround.agree": _("Countersign round agreed"),
    "countersignround.return_to_office": _("Countersign round returned to the office"),
    "countersign.agree": _("Department agreed"),
    "countersign.disagree": _("Department disagreed"),
    # Landing, acceptance and award.
    "agreement.draft": _("Task agreement drafted"),
    "agreement.edit": _("Task agreement changed"),
    "agreement.send": _("Task agreement sent"),
    "agreement.withdraw": _("Task agreement withdrawn by the office"),
    "agreement.return_to_office": _("Task agreement returned by the organisation"),
    "agreement.confirm": _("Task agreement confirmed"),
    "application.start_construction": _("Construction started"),
    "milestone.done": _("Milestone done"),
    "progressreport.submit": _("Progress report submitted"),
    "progressreport.escalate": _("Overdue report escalated to the office"),
    "acceptance.declare": _("Construction declared complete"),
    "application.declare_complete": _("Construction declared complete"),
    "acceptance.draw_panel": _("Acceptance panel drawn"),
    "acceptance.pass_": _("Acceptance passed"),
    "acceptance.fail": _("Acceptance failed"),
    "application.fail_acceptance": _("Sent to rectification"),
    "application.terminate": _("Project terminated"),
    "award.grant": _("Plaque awarded"),
    "application.award": _("Plaque awarded"),
    "award.revoke": _("Plaque revoked"),
    "application.revoke": _("Plaque revoked"),
    # Performance evaluation and fault tolerance.
    "performancereview.open": _("Performance evaluation opened"),
    "performancereview.submit": _("Performance self-report submitted"),
    "performancereview.evaluate": _("Performance evaluated"),
    "performancereview.publish": _("Performance evaluation published"),
    "performancereview.verify_rectification": _("Rectification verified"),
    "tolerancecase.request": _("Fault tolerance requested"),
    "tolerancecase.decide": _("Fault-tolerance decision"),
    "tolerancecase.report_correction": _("Correction reported"),
    "tolerancecase.reject_correction": _("Correction sent back"),
    "tolerancecase.verify": _("Correction verified, case closed"),
    # Approval moves on tasks.
    "task.hand_over": _("Task handed over"),
    "task.urge": _("Task urged"),
    "task.copy": _("Item copied"),
    "task.return": _("Item returned"),
    "task.withdraw": _("Item withdrawn"),
    "task.send_on": _("Item sent on"),
    "task.add_signer": _("Signer added"),
    "task.sign": _("Added signer signed"),
    "delegation.create": _("Absence delegation set"),
    "delegation.revoke": _("Absence delegation revoked"),
}


# viewflow's own Chinese catalogue is empty: the task states users see are ours.
TASK_STATUS = {
    "NEW": _("Waiting"),
    "ASSIGNED": _("Waiting"),
    "STARTED": _("In progress"),
    "DONE": _("Done"),
    "CANCELED": _("Withdrawn or closed"),
    "ERROR": _("Error"),
}


@register.filter
def task_status(task) -> str:
    """{{ task|task_status }}: the state of a flow task in the reader's language."""
    return str(TASK_STATUS.get(task.status, task.status))


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
    def is_office_staff(self) -> bool:
        return any(m.role == Role.OFFICE_STAFF and m.office_id for m in self.memberships)

    @property
    def is_supervisor(self) -> bool:
        return any(m.role == Role.SUPERVISOR for m in self.memberships)

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
