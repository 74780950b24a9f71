from workflow.models.applications import Application, ApplicationFunding, Attachment, FormalCheck
from workflow.models.audit import AuditEvent, AuditHead
from workflow.models.calendar import CalendarDay
from workflow.models.calls import Call
from workflow.models.organisations import Department, Membership, Office, Organisation

__all__ = [
    "Application",
    "ApplicationFunding",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "CalendarDay",
    "Call",
    "Department",
    "FormalCheck",
    "Membership",
    "Office",
    "Organisation",
]
