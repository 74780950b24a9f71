"""Who may act on what: one place, used by views, services and (later) the API.

A role counts only inside its unit: an applicant for its own organisation, office staff and the
director for their own office's calls. Each check returns the role it granted, so the audit
event can record in which capacity the user acted.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from workflow.choices import ApplicationState, Role
from workflow.errors import NotPermitted
from workflow.models import Application, ApplicationUserObjectPermission, Call, Membership

User = AbstractBaseUser | AnonymousUser


def _memberships(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(user=user)


def organisation_ids(user: User, role: Role = Role.APPLICANT) -> set[int]:
    return set(
        _memberships(user)
        .filter(role=role, organisation__isnull=False)
        .values_list("organisation_id", flat=True)
    )


def office_ids(user: User, roles: tuple[Role, ...]) -> set[int]:
    return set(
        _memberships(user)
        .filter(role__in=roles, office__isnull=False)
        .values_list("office_id", flat=True)
    )


def has_role(user: User, role: Role) -> bool:
    return _memberships(user).filter(role=role).exists()


def acts_as_delegate(user: User, role: Role, **unit: int) -> bool:
    """Absence delegation (委托): a delegate acts in the role, in that unit, while a task
    delegated to them there is open, and for nothing else (processes.moves)."""
    from processes.moves import acts_as_delegate as delegated

    return delegated(user, role, **unit)


def require_applicant(user: User, application: Application) -> Role:
    if application.organisation_id in organisation_ids(user):
        return Role.APPLICANT
    raise NotPermitted(_("You may act only on your own organisation's applications."))


def require_office(user: User, call: Call, role: Role = Role.OFFICE_STAFF) -> Role:
    if call.office_id in office_ids(user, (role,)):
        return role
    if acts_as_delegate(user, role, office_id=call.office_id):
        return role
    if role == Role.OFFICE_STAFF:
        raise NotPermitted(_("Only staff of the office that published this call may do this."))
    raise NotPermitted(_("Only the director of the office that published this call may do this."))


def _granted_application_ids(user: User) -> QuerySet:
    """Applications an expert may read: granted (django-guardian, direct foreign key) when the
    expert accepts an invitation, revoked when they leave the panel."""
    return ApplicationUserObjectPermission.objects.filter(
        user=user, permission__codename="view_application"
    ).values("content_object_id")


def applications_visible_to(user: User) -> QuerySet[Application]:
    """Applicants see their own organisation's; offices see non-draft applications to their calls;
    experts see those they accepted to review; supervisors see all non-draft ones, read-only."""
    if not user.is_authenticated or not user.is_active:
        return Application.objects.none()
    own = Q(organisation_id__in=organisation_ids(user))
    offices = office_ids(user, (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR))
    office = Q(call__office_id__in=offices) & ~Q(state=ApplicationState.DRAFT)
    condition = own | office | Q(id__in=_granted_application_ids(user))
    if has_role(user, Role.SUPERVISOR):
        condition |= ~Q(state=ApplicationState.DRAFT)
    return Application.objects.filter(condition)


def calls_managed_by(user: User) -> QuerySet[Call]:
    return Call.objects.filter(
        office_id__in=office_ids(user, (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR))
    )
