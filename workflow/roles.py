"""Django groups for the admin site: what office staff may configure there.

Scoped rights (which office, which organisation) come from Membership and workflow.access;
this group only opens the admin screens an office needs: the holiday calendar, its calls,
and read access to units and the audit trail.
"""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

OFFICE_ADMIN_GROUP = "office_admin"
OFFICE_ADMIN_PERMISSIONS = [
    ("workflow", "add_calendarday"),
    ("workflow", "change_calendarday"),
    ("workflow", "delete_calendarday"),
    ("workflow", "view_calendarday"),
    ("workflow", "add_call"),
    ("workflow", "change_call"),
    ("workflow", "view_call"),
    ("workflow", "view_office"),
    ("workflow", "view_department"),
    ("workflow", "view_organisation"),
    ("workflow", "view_auditevent"),
    ("workflow", "view_expert"),
    ("workflow", "view_avoidancerequest"),
]
OFFICE_ADMIN_LABEL = _("Office administrators")


def office_admin_group() -> Group:
    """The group, with exactly its permissions; safe to call again."""
    group, _created = Group.objects.get_or_create(name=OFFICE_ADMIN_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label="workflow",
        codename__in=[codename for _app, codename in OFFICE_ADMIN_PERMISSIONS],
    )
    group.permissions.set(perms)
    return group


def ensure_groups(sender, **kwargs) -> None:
    """post_migrate: permissions exist only after migrate, so the group is made then."""
    if sender.name == "workflow":
        office_admin_group()
