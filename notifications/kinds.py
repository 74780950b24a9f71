"""The message kinds: what a notification says, to whom it is addressed, where it leads.

Each kind has one English template (the msgid; the Chinese text comes from the catalogue) and
the page its link opens. The messenger renders the template once per recipient inside
`translation.override(recipient's language)`, so lazy labels and dates in the context come out in
that language. Codes are stored in the database: never rename one, add a new kind instead.

Kinds marked "hook" have their template ready but no caller yet: they belong to decisions that
other issues build (scoring, publicity and objections, countersign, landing reports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # To the applicant organisation: every change of state of its application.
    APPLICATION_SUBMITTED = "application_submitted", _("Application submitted")
    APPLICATION_RESUBMITTED = "application_resubmitted", _("Corrected application submitted")
    APPLICATION_RETURNED = "application_returned", _("Application returned for correction")
    APPLICATION_ACCEPTED = "application_accepted", _("Application passed the formal check")
    APPLICATION_REJECTED = "application_rejected", _("Application rejected")
    APPLICATION_WITHDRAWN = "application_withdrawn", _("Application withdrawn")
    APPLICATION_REVIEW_STARTED = "application_review_started", _("Expert review started")
    APPLICATION_REVIEW_FINISHED = "application_review_finished", _("Expert review finished")
    APPLICATION_SHORTLISTED = "application_shortlisted", _("Application shortlisted")
    APPLICATION_NOT_SELECTED = "application_not_selected", _("Application not selected")
    APPLICATION_APPROVED = "application_approved", _("Application approved")
    APPLICATION_NOT_APPROVED = "application_not_approved", _("Application not approved")
    CALL_CANCELLED = "call_cancelled", _("Call cancelled")
    # To the office's staff.
    OFFICE_APPLICATION_SUBMITTED = "office_application_submitted", _("New application")
    OFFICE_APPLICATION_RESUBMITTED = "office_application_resubmitted", _("Corrected application")
    OFFICE_INVITATION_DECLINED = "office_invitation_declined", _("Expert declined")
    OFFICE_EXPERT_CONFLICT = "office_expert_conflict", _("Expert withdrawn for a conflict")
    OFFICE_DRAW_SHORT = "office_draw_short", _("No alternate left")
    OFFICE_PANEL_SCORED = "office_panel_scored", _("Panel finished scoring")
    OFFICE_OBJECTION_RECEIVED = "office_objection_received", _("Objection received")
    # To the person who lodged an objection while logged in.
    OBJECTION_ANSWERED = "objection_answered", _("Objection answered")
    # To an expert.
    EXPERT_INVITED = "expert_invited", _("Review invitation")
    EXPERT_WITHDRAWN = "expert_withdrawn", _("Withdrawn from a review")
    EXPERT_SHEET_REOPENED = "expert_sheet_reopened", _("Score sheet reopened")
    # To a department approver.
    COUNTERSIGN_REQUESTED = "countersign_requested", _("Countersign requested")  # hook
    # Reminders, sent by the scheduler (notifications.reminders).
    REMINDER_WINDOW_CLOSING = "reminder_window_closing", _("Application window closing")
    REMINDER_REVIEW_DUE = "reminder_review_due", _("Review due")
    REMINDER_REPORT_DUE = "reminder_report_due", _("Report due")  # hook: landing reports
    REMINDER_PUBLICITY_ENDING = "reminder_publicity_ending", _("Public notice ending")
    # Tasks of the flows (processes): to everyone who may act on a new task, or was urged.
    TASK_ASSIGNED = "task_assigned", _("New task")
    TASK_URGED = "task_urged", _("Task urged")
    # 揭榜落地 → 授牌 → 绩效评价 → 容错纠错 (issue 5).
    AGREEMENT_SENT = "agreement_sent", _("Task agreement to confirm")
    OFFICE_AGREEMENT_RETURNED = "office_agreement_returned", _("Task agreement returned")
    OFFICE_REPORT_OVERDUE = "office_report_overdue", _("Progress report overdue")
    ACCEPTANCE_DECIDED = "acceptance_decided", _("Acceptance review decided")
    AWARDED = "awarded", _("Plaque awarded")
    PLAQUE_REVOKED = "plaque_revoked", _("Plaque revoked")
    PERFORMANCE_OPENED = "performance_opened", _("Performance self-report due")
    PERFORMANCE_PUBLISHED = "performance_published", _("Performance evaluation published")
    OFFICE_TOLERANCE_REQUESTED = "office_tolerance_requested", _("Fault-tolerance request")
    TOLERANCE_DECIDED = "tolerance_decided", _("Fault-tolerance decision")
    OFFICE_CORRECTION_REPORTED = "office_correction_reported", _("Correction reported")
    TOLERANCE_CLOSED = "tolerance_closed", _("Fault-tolerance case closed")


UrlOf = Callable[[Any], str]


def _path(name: str, attribute: str = "pk") -> UrlOf:
    def url(obj: Any) -> str:
        return reverse(name, args=[getattr(obj, attribute)])

    return url


def _fixed(name: str) -> UrlOf:
    return lambda obj: reverse(name)


def _none(obj: Any) -> str:
    return ""


applicant_page = _path("portal:application_detail")
office_application_page = _path("portal:office_application_detail")
draw_page = _path("portal:draw_page", "call_id")
invitations_page = _fixed("portal:invitation_list")
public_call_page = _path("portal:call_detail")
expert_sheet_page = _path("portal:expert_sheet")


@dataclass(frozen=True)
class Spec:
    text: Promise
    url: UrlOf = _none


K = Kind

# Placeholders: %(application)s title of the application, %(call)s title of the call,
# %(organisation)s the applicant body, %(expert)s the expert's name, %(reason)s the reason given,
# %(due)s / %(closes)s a moment, shown in the recipient's language and in Beijing time.
SPECS: dict[Kind, Spec] = {
    K.APPLICATION_SUBMITTED: Spec(
        _("Your application “%(application)s” to “%(call)s” has been submitted."), applicant_page
    ),
    K.APPLICATION_RESUBMITTED: Spec(
        _("Your corrected application “%(application)s” to “%(call)s” has been submitted."),
        applicant_page,
    ),
    K.APPLICATION_RETURNED: Spec(
        _(
            "Your application “%(application)s” was returned for correction (reason: "
            "%(reason)s). Correct it and submit it again by %(due)s."
        ),
        applicant_page,
    ),
    K.APPLICATION_ACCEPTED: Spec(
        _("Your application “%(application)s” passed the formal check."), applicant_page
    ),
    K.APPLICATION_REJECTED: Spec(
        _("Your application “%(application)s” was rejected at the formal check: %(reason)s"),
        applicant_page,
    ),
    K.APPLICATION_WITHDRAWN: Spec(
        _("Your application “%(application)s” was withdrawn."), applicant_page
    ),
    K.APPLICATION_REVIEW_STARTED: Spec(
        _("Expert review of your application “%(application)s” has started."), applicant_page
    ),
    K.APPLICATION_REVIEW_FINISHED: Spec(
        _("Expert review of your application “%(application)s” is finished."), applicant_page
    ),
    K.APPLICATION_SHORTLISTED: Spec(
        _("Your application “%(application)s” has been shortlisted."), applicant_page
    ),
    K.APPLICATION_NOT_SELECTED: Spec(
        _("Your application “%(application)s” was not selected: %(reason)s"), applicant_page
    ),
    K.APPLICATION_APPROVED: Spec(
        _("Your application “%(application)s” has been approved."), applicant_page
    ),
    K.APPLICATION_NOT_APPROVED: Spec(
        _("Your application “%(application)s” was not approved: %(reason)s"), applicant_page
    ),
    K.CALL_CANCELLED: Spec(_("The call “%(call)s” was cancelled: %(reason)s"), public_call_page),
    K.OFFICE_APPLICATION_SUBMITTED: Spec(
        _("“%(organisation)s” submitted the application “%(application)s” to “%(call)s”."),
        office_application_page,
    ),
    K.OFFICE_APPLICATION_RESUBMITTED: Spec(
        _(
            "“%(organisation)s” submitted the corrected application “%(application)s” "
            "to “%(call)s”."
        ),
        office_application_page,
    ),
    K.OFFICE_INVITATION_DECLINED: Spec(
        _("Expert %(expert)s declined to review “%(call)s”: %(reason)s"), draw_page
    ),
    K.OFFICE_EXPERT_CONFLICT: Spec(
        _("Expert %(expert)s left the review of “%(call)s” for a conflict of interest: %(reason)s"),
        draw_page,
    ),
    K.OFFICE_DRAW_SHORT: Spec(
        _("No alternate is left for the review of “%(call)s”; the office may redraw."), draw_page
    ),
    K.OFFICE_PANEL_SCORED: Spec(
        _("The review panel of “%(call)s” has submitted every score sheet."), draw_page
    ),
    K.OFFICE_OBJECTION_RECEIVED: Spec(
        _("An objection to “%(application)s” was lodged during the public notice of “%(call)s”.")
    ),
    K.OBJECTION_ANSWERED: Spec(
        _("Your objection to “%(application)s” has been answered (%(outcome)s): %(reason)s"),
        _fixed("portal:publicity_list"),
    ),
    K.EXPERT_INVITED: Spec(
        _(
            "You are invited to review applications to “%(call)s”. Please accept, with a "
            "no-conflict declaration, or decline."
        ),
        invitations_page,
    ),
    K.EXPERT_WITHDRAWN: Spec(
        _(
            "The office withdrew you from the review of “%(call)s” for a conflict of interest: "
            "%(reason)s"
        ),
        invitations_page,
    ),
    K.EXPERT_SHEET_REOPENED: Spec(
        _("Your score sheet for “%(application)s” was reopened: %(reason)s"), expert_sheet_page
    ),
    K.COUNTERSIGN_REQUESTED: Spec(_("Your department is asked to countersign “%(subject)s”.")),
    K.REMINDER_WINDOW_CLOSING: Spec(
        _(
            "Applications to “%(call)s” close at %(closes)s. Your application “%(application)s” "
            "is still a draft: submit it before then."
        ),
        applicant_page,
    ),
    K.REMINDER_REVIEW_DUE: Spec(_("Reminder: your review for “%(call)s” is due by %(due)s.")),
    K.REMINDER_REPORT_DUE: Spec(
        _("Reminder: the report “%(subject)s” is due by %(due)s."), _path("portal:report_submit")
    ),
    K.REMINDER_PUBLICITY_ENDING: Spec(_("The public notice of “%(call)s” ends at %(due)s.")),
    # %(subject)s is the object's name; %(task)s the task's title.
    K.TASK_ASSIGNED: Spec(_("New task: %(task)s (%(subject)s), due by %(due)s.")),
    K.TASK_URGED: Spec(_("%(urger)s urges you to finish the task %(task)s (%(subject)s).")),
    K.AGREEMENT_SENT: Spec(
        _("The task agreement of “%(application)s” awaits your confirmation."), applicant_page
    ),
    K.OFFICE_AGREEMENT_RETURNED: Spec(
        _("“%(organisation)s” returned the task agreement of “%(application)s”: %(reason)s")
    ),
    K.OFFICE_REPORT_OVERDUE: Spec(
        _("The report “%(subject)s” of “%(organisation)s” is overdue since %(due)s."),
        _path("portal:report_submit"),
    ),
    K.ACCEPTANCE_DECIDED: Spec(
        _("The acceptance review of “%(application)s” is decided: %(outcome)s."), applicant_page
    ),
    K.AWARDED: Spec(_("“%(application)s” is awarded the plaque %(number)s."), applicant_page),
    K.PLAQUE_REVOKED: Spec(
        _("The plaque %(number)s of “%(application)s” is revoked: %(reason)s"), applicant_page
    ),
    K.PERFORMANCE_OPENED: Spec(
        _("The %(year)s performance self-report of “%(application)s” is due by %(due)s."),
        applicant_page,
    ),
    K.PERFORMANCE_PUBLISHED: Spec(
        _("The %(year)s performance evaluation of “%(application)s” is published: %(grade)s."),
        applicant_page,
    ),
    K.OFFICE_TOLERANCE_REQUESTED: Spec(
        _("“%(organisation)s” requests fault tolerance for “%(application)s”.")
    ),
    K.TOLERANCE_DECIDED: Spec(
        _("The fault-tolerance request for “%(application)s” is decided: %(decision)s."),
        applicant_page,
    ),
    K.OFFICE_CORRECTION_REPORTED: Spec(
        _("“%(organisation)s” reported the correction of “%(application)s” for verification.")
    ),
    K.TOLERANCE_CLOSED: Spec(
        _("The fault-tolerance case of “%(application)s” is closed: the correction is verified."),
        applicant_page,
    ),
}

# The applicant's notice for each transition of Application (workflow.models.applications).
APPLICATION_TRANSITIONS: dict[str, Kind] = {
    "submit": K.APPLICATION_SUBMITTED,
    "return_for_correction": K.APPLICATION_RETURNED,
    "accept": K.APPLICATION_ACCEPTED,
    "reject": K.APPLICATION_REJECTED,
    "withdraw": K.APPLICATION_WITHDRAWN,
    "start_review": K.APPLICATION_REVIEW_STARTED,
    "finish_review": K.APPLICATION_REVIEW_FINISHED,
    "shortlist": K.APPLICATION_SHORTLISTED,
    "not_select": K.APPLICATION_NOT_SELECTED,
    "approve": K.APPLICATION_APPROVED,
    "not_approve": K.APPLICATION_NOT_APPROVED,
}
