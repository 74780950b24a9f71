from workflow.models.applications import Application, ApplicationFunding, Attachment, FormalCheck
from workflow.models.audit import AuditEvent, AuditHead
from workflow.models.award import Acceptance, Award, PlaqueCounter, PlaqueScheme
from workflow.models.calendar import CalendarDay
from workflow.models.calls import Call
from workflow.models.countersign import Countersign, CountersignRound
from workflow.models.experts import AvoidanceRequest, Expert, ExpertRelation
from workflow.models.landing import Agreement, Milestone, ProgressReport
from workflow.models.organisations import Department, Membership, Office, Organisation
from workflow.models.performance import PerformanceReview
from workflow.models.phrases import FrequentPhrase
from workflow.models.publicity import Objection, Publicity
from workflow.models.review import (
    ApplicationUserObjectPermission,
    Assignment,
    AssignmentUserObjectPermission,
    Draw,
    Invitation,
)
from workflow.models.rubric import Indicator, Rubric, Score, VerifiedValue
from workflow.models.subsidies import SubsidyRule
from workflow.models.tolerance import ToleranceCase

__all__ = [
    "Acceptance",
    "Agreement",
    "Application",
    "ApplicationFunding",
    "ApplicationUserObjectPermission",
    "Assignment",
    "AssignmentUserObjectPermission",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "AvoidanceRequest",
    "Award",
    "CalendarDay",
    "Call",
    "Countersign",
    "CountersignRound",
    "Department",
    "Draw",
    "Expert",
    "ExpertRelation",
    "FormalCheck",
    "FrequentPhrase",
    "Indicator",
    "Invitation",
    "Membership",
    "Milestone",
    "Objection",
    "Office",
    "Organisation",
    "PerformanceReview",
    "PlaqueCounter",
    "PlaqueScheme",
    "ProgressReport",
    "Publicity",
    "Rubric",
    "Score",
    "SubsidyRule",
    "ToleranceCase",
    "VerifiedValue",
]
