"""Role checks for the API: the same questions workflow.access answers for the portal.

They decide only whether the user holds the role somewhere (403 otherwise). Which objects the
user may see is decided by the querysets of workflow.access and workflow.selectors (404 for the
rest), and whether the user may act on one is decided again by the service itself.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from workflow import access
from workflow.models import Expert
from workflow.selectors import OFFICE_ROLES


def _logged_in(request: Any) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_active)


class IsApplicant(BasePermission):
    """A member (role applicant) of at least one organisation."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return _logged_in(request) and bool(access.organisation_ids(request.user))


class IsExpert(BasePermission):
    """A member of the expert pool."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return _logged_in(request) and Expert.objects.filter(user=request.user).exists()


class IsOfficeMember(BasePermission):
    """Staff or director of at least one office; the services require staff for decisions."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return _logged_in(request) and bool(access.office_ids(request.user, OFFICE_ROLES))
