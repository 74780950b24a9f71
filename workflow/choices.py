"""Enumerations of the domain. Values are stable codes stored in the database; labels are shown.

The wording follows the Shanxi plan (seed 004): applicant types in 二(二), functions in 三,
construction modes in 四(三), funding sources in 四(二).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    PROVINCE = "province", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class ApplicantType(models.TextChoices):
    CITY_GOVERNMENT = "city_government", _("City government")
    UNIVERSITY = "university", _("Higher-education institution")
    VOCATIONAL_SCHOOL = "vocational_school", _("Vocational school")
    PARK = "park", _("Development zone / industrial park")
    KEY_ENTERPRISE = "key_enterprise", _("Key industry enterprise")


class Function(models.TextChoices):
    TRAINING = "training", _("Practical training")
    INNOVATION = "innovation", _("Innovation")
    PRODUCTION = "production", _("Production")
    COMPETITION = "competition", _("Skills competitions")
    EVALUATION = "evaluation", _("Skills evaluation")


class ConstructionMode(models.TextChoices):
    SCHOOL_LED = "school_led", _("School-led")
    ENTERPRISE_LED = "enterprise_led", _("Enterprise-led")
    PARK_LED = "park_led", _("Park-led")


class FundingSource(models.TextChoices):
    GOVERNMENT_INVESTMENT = "government_investment", _("Government investment")
    SPECIAL_BONDS = "special_bonds", _("Local government special bonds")
    SELF_RAISED = "self_raised", _("Self-raised funds")
    SOCIAL_CAPITAL = "social_capital", _("Social capital")


class AttachmentKind(models.TextChoices):
    APPLICATION_FORM = "application_form", _("Application form (signed and sealed)")
    LEGAL_ENTITY_CERTIFICATE = "legal_entity_certificate", _("Legal entity certificate")
    PARTNER_AGREEMENT = "partner_agreement", _("Partner cooperation agreement")
    FUNDING_PROOF = "funding_proof", _("Proof of funding sources")
    OTHER = "other", _("Other supporting material")


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    EXPERT = "expert", _("Expert")
    OFFICE_STAFF = "office_staff", _("Office staff")
    OFFICE_DIRECTOR = "office_director", _("Office director")
    DEPARTMENT_APPROVER = "department_approver", _("Department approver")
    SUPERVISOR = "supervisor", _("Supervisor / auditor")


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Open for applications")
    CLOSED = "closed", _("Closed")
    UNDER_REVIEW = "under_review", _("Under expert review")
    PUBLICITY = "publicity", _("In public notice")
    DECIDED = "decided", _("Decided")
    ARCHIVED = "archived", _("Archived")
    CANCELLED = "cancelled", _("Cancelled")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Passed formal check")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNDER_REVIEW = "under_review", _("Under expert review")
    REVIEWED = "reviewed", _("Reviewed")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    NOT_SELECTED = "not_selected", _("Not selected")
    APPROVED = "approved", _("Approved")
    NOT_APPROVED = "not_approved", _("Not approved")
    # 揭榜落地 → 评审认定 → 授牌 (issue 5): the approved application becomes the project.
    CONSTRUCTING = "constructing", _("Under construction")
    ACCEPTANCE = "acceptance", _("Under acceptance review")
    RECTIFYING = "rectifying", _("Rectifying after a failed acceptance")
    AWARDED = "awarded", _("Awarded the plaque")
    TERMINATED = "terminated", _("Terminated")
    REVOKED = "revoked", _("Plaque revoked")


class FormalCheckOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    RETURNED = "returned", _("Returned for correction")
    REJECTED = "rejected", _("Rejected")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (no work)")
    WORKDAY = "workday", _("Adjusted working day")


class ExpertRelationKind(models.TextChoices):
    """Declared relations that can trigger recusal (政府采购法实施条例 第九条)."""

    FORMER_EMPLOYER = "former_employer", _("Former employer")
    DIRECTOR = "director", _("Director")
    SUPERVISOR = "supervisor", _("Supervisor (board of supervisors)")
    CONTROLLING_SHAREHOLDER = "controlling_shareholder", _("Controlling shareholder")
    ACTUAL_CONTROLLER = "actual_controller", _("Actual controller")
    SHAREHOLDER = "shareholder", _("Shareholder")
    KINSHIP = "kinship", _("Kinship with a person of the organisation")


class DrawMode(models.TextChoices):
    PANEL = "panel", _("Panel meeting: one panel reviews every application")
    PER_APPLICATION = "per_application", _("Correspondence: k experts per application")


class DrawState(models.TextChoices):
    CONFIGURED = "configured", _("Configured")
    COMMITTED = "committed", _("Seed committed")
    DRAWN = "drawn", _("Drawn")
    SUPERSEDED = "superseded", _("Superseded by a redraw")
    CLOSED = "closed", _("Review closed")


class InvitationState(models.TextChoices):
    RESERVE = "reserve", _("Alternate in reserve")
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CONFLICT = "conflict", _("Withdrawn for a conflict of interest")
    SUPERSEDED = "superseded", _("Superseded by a redraw")


class AssignmentState(models.TextChoices):
    OPEN = "open", _("Scoring")
    SUBMITTED = "submitted", _("Submitted")
    REOPENED = "reopened", _("Reopened")
    VOID = "void", _("Void (expert replaced)")


class AvoidanceRequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class IndicatorKind(models.TextChoices):
    JUDGED = "judged", _("Expert-judged")
    QUANTITATIVE = "quantitative", _("Quantitative")
    VETO = "veto", _("Veto item")


class Aggregation(models.TextChoices):
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")
    TRIMMED_MEAN = "trimmed_mean", _("Trimmed mean (drop highest and lowest)")


class CallRoute(models.TextChoices):
    """How a call's winners reach the plaque (Shanxi plan 四(一) and 五)."""

    SELECTION = "selection", _("Selection: agreement, construction, acceptance, then the plaque")
    DIRECT_AWARD = "direct_award", _("Already built: evaluated, then awarded directly")


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly dispatch")
    QUARTERLY = "quarterly", _("Quarterly bulletin")
    ANNUAL = "annual", _("Annual summary")


class PerformanceGrade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    # Context: the formal check's "Pass" (通过) is another word than this grade's (合格).
    PASS = "pass", pgettext_lazy("performance grade", "Pass")
    FAIL = "fail", _("Fail")


class ToleranceDecision(models.TextChoices):
    EXEMPT = "exempt", _("Exempted from liability")
    REDUCED = "reduced", _("Liability reduced")
    REFUSED = "refused", _("Tolerance refused")


class CountersignMode(models.TextChoices):
    """How a countersign round is decided (issue 8): 会签 (ALL) or 或签 (ANY)."""

    ALL = "all", _("Joint countersign: every department must agree")
    ANY = "any", _("Alternative countersign: one department's agreement suffices")
