"""Who is told: user ids chosen explicitly by the decision that sends the message.

Each helper is one query and returns a sorted list of active users' ids.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflow.choices import Role
from workflow.models import Expert, Invitation, Membership


def _ids(qs) -> list[int]:
    return sorted(set(qs.filter(user__is_active=True).values_list("user_id", flat=True)))


def applicants_of(organisation_ids: int | Iterable[int]) -> list[int]:
    """The applicant users of one organisation (or of several)."""
    ids = [organisation_ids] if isinstance(organisation_ids, int) else list(organisation_ids)
    return _ids(Membership.objects.filter(role=Role.APPLICANT, organisation_id__in=ids))


def office_staff_of(office_id: int, roles: tuple[str, ...] = (Role.OFFICE_STAFF,)) -> list[int]:
    return _ids(Membership.objects.filter(role__in=roles, office_id=office_id))


def department_approvers_of(department_id: int) -> list[int]:
    return _ids(
        Membership.objects.filter(role=Role.DEPARTMENT_APPROVER, department_id=department_id)
    )


def expert_users(expert_ids: int | Iterable[int]) -> list[int]:
    ids = [expert_ids] if isinstance(expert_ids, int) else list(expert_ids)
    return _ids(Expert.objects.filter(pk__in=ids))


def invited_experts(draw_id: int, invitation_ids: Iterable[int] | None = None) -> list[int]:
    """The users of the experts whose invitations of a draw are open (state `invited`)."""
    from workflow.choices import InvitationState

    qs = Invitation.objects.filter(draw_id=draw_id, state=InvitationState.INVITED)
    if invitation_ids is not None:
        qs = qs.filter(pk__in=list(invitation_ids))
    return sorted(
        set(qs.filter(expert__user__is_active=True).values_list("expert__user_id", flat=True))
    )
