"""公示 and 异议: opening the public notice, receiving objections, answering them.

Decisions recorded here (see docs/decisions/publicity-objections.md):
- publicity_open moves the call into PUBLICITY (via call_start_publicity) and creates its
  Publicity row in the same transaction, so a call in notice always has a period. A call already
  in PUBLICITY without a period (moved there before this service existed) just gets its row.
- An upheld objection records its outcome (withdraw the item, or review it again) and leaves the
  item suspended: the director acts on it (application_not_approve), since office staff may not
  decide approvals.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import recipients
from notifications.kinds import Kind
from notifications.messenger import describe, notify, render
from workflow import access, audit
from workflow.choices import ApplicationState, CallState
from workflow.errors import Conflict, Invalid
from workflow.models import Application, Call
from workflow.models.publicity import (
    ANSWER_WORKING_DAYS,
    PUBLICITY_WORKING_DAYS,
    Objection,
    ObjectionOutcome,
    ObjectorKind,
    Publicity,
)
from workflow.rules.publicity import ObjectorDetails, objection_problems
from workflow.rules.uploads import BadUpload, check_pdf
from workflow.services.base import apply_transition, clean_reason, flows_follow, lock
from workflow.services.calls import call_start_publicity
from workflow.workdays import working_day_deadline

logger = logging.getLogger(__name__)


def publicity_open(*, call: Call, by: Any, working_days: int = PUBLICITY_WORKING_DAYS) -> Publicity:
    """公示期为5个工作日: start the notice of the shortlisted applications now."""
    if working_days < 1:
        raise Invalid(_("The notice lasts at least one working day."))
    with transaction.atomic():
        call = lock(call)
        role = access.require_office(by, call)
        if Publicity.objects.filter(call=call).exists():
            raise Conflict(_("The public notice of this call has already started."))
        if call.state != CallState.PUBLICITY:
            call = call_start_publicity(call=call, by=by)
        now = timezone.now()
        publicity = Publicity.objects.create(
            call=call,
            starts_at=now,
            working_days=working_days,
            ends_at=working_day_deadline(now, working_days),
            published_by=by,
        )
        audit.record(
            action="publicity.open",
            obj=publicity,
            by=by,
            role=role,
            diff={
                "call": call.pk,
                "starts_at": publicity.starts_at.isoformat(),
                "ends_at": publicity.ends_at.isoformat(),
                "working_days": working_days,
            },
        )
    return publicity


def publicity_is_running(publicity: Publicity, now: Any = None) -> bool:
    now = now or timezone.now()
    return (
        publicity.call.state == CallState.PUBLICITY
        and publicity.starts_at <= now <= publicity.ends_at
    )


def objection_file(
    *,
    application: Application,
    by: Any,
    objector_kind: str,
    facts: str,
    organisation_name: str = "",
    letter: Any = None,
    person_name: str = "",
    phone: str = "",
    id_number: str = "",
    email: str = "",
) -> Objection:
    """Anyone may object in writing during the notice; the office is told at once."""
    details = ObjectorDetails(
        kind=objector_kind,
        organisation_name=organisation_name or "",
        has_letter=letter is not None and objector_kind == ObjectorKind.ORGANISATION,
        person_name=person_name or "",
        phone=phone or "",
        facts=facts or "",
    )
    problems = objection_problems(details)
    if problems:
        raise Invalid(_("The objection cannot be accepted."), problems)
    checked = None
    if details.has_letter:
        try:
            checked = check_pdf(letter, max_bytes=settings.ATTACHMENT_MAX_BYTES)
        except BadUpload as exc:
            raise Invalid(str(exc)) from exc
        letter.seek(0)
    with transaction.atomic():
        application = lock(application)
        publicity = Publicity.objects.select_related("call").filter(call_id=application.call_id)
        publicity = publicity.first()
        now = timezone.now()
        if publicity is None or not publicity_is_running(publicity, now):
            raise Invalid(_("Objections are accepted only during the public notice period."))
        if application.state != ApplicationState.SHORTLISTED:
            raise Invalid(_("Only the proposed winners in public notice can be objected to."))
        is_org = objector_kind == ObjectorKind.ORGANISATION
        objection = Objection(
            publicity=publicity,
            application=application,
            objector_kind=objector_kind,
            organisation_name=organisation_name.strip() if is_org else "",
            person_name="" if is_org else person_name.strip(),
            phone="" if is_org else phone.strip(),
            id_number="" if is_org else (id_number or "").strip(),
            email="" if is_org else (email or "").strip(),
            facts=facts.strip(),
            filed_by=by if getattr(by, "is_authenticated", False) else None,
            received_at=now,
            answer_due=working_day_deadline(now, ANSWER_WORKING_DAYS),
        )
        if checked is not None:
            objection.letter_name = (getattr(letter, "name", "") or "letter.pdf")[-255:]
            objection.letter_sha256 = checked.sha256
            objection.letter.save("letter.pdf", ContentFile(letter.read()), save=False)
        try:
            objection.save()
            audit.record(
                action="objection.file",
                obj=objection,
                by=by,
                to_state=objection.state,
                diff={
                    "application": application.pk,
                    "objector_kind": objector_kind,
                    "objector": objection.objector,
                    "letter_sha256": objection.letter_sha256,
                    "answer_due": objection.answer_due.isoformat(),
                },
            )
            notify(
                Kind.OFFICE_OBJECTION_RECEIVED,
                recipients.office_staff_of(application.call.office_id),
                application,
            )
        except BaseException:
            # The file is outside the transaction: take it away with the failed decision.
            if objection.letter:
                objection.letter.delete(save=False)
            raise
    return objection


def _answer(objection: Objection, by: Any, step: str, answer: str, outcome: str = "") -> Objection:
    answer = clean_reason(answer, required=True)
    with transaction.atomic():
        objection = lock(objection)
        role = access.require_office(by, objection.application.call)
        objection.answer = answer
        objection.outcome = outcome
        objection.answered_by = by
        objection.answered_at = timezone.now()
        apply_transition(
            objection,
            step,
            by=by,
            role=role,
            reason=answer,
            diff={"application": objection.application_id, "outcome": outcome},
            update_fields=("answer", "outcome", "answered_by", "answered_at"),
        )
        flows_follow(objection.application.call, by=by)
        _tell_objector(objection)
    return objection


def _tell_objector(objection: Objection) -> None:
    """The outcome goes back to the objector: in the portal if they lodged it logged in, and by
    e-mail (after the decision commits) if they gave an address."""
    outcome = objection.get_state_display()
    if objection.outcome:
        outcome = f"{outcome}: {objection.get_outcome_display()}"
    if objection.filed_by_id:
        notify(
            Kind.OBJECTION_ANSWERED,
            [objection.filed_by_id],
            objection.application,
            outcome=outcome,
            reason=objection.answer,
        )
    if objection.email:
        with translation.override(settings.LANGUAGE_CODE):
            subject = str(_("Answer to your objection"))
            body = render(
                Kind.OBJECTION_ANSWERED,
                {**describe(objection.application), "outcome": outcome, "reason": objection.answer},
            )
        transaction.on_commit(partial(_send_answer, subject, body, objection.email), robust=True)


def _send_answer(subject: str, body: str, address: str) -> None:
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # the answer is recorded; a mail server outage must not hide that
        logger.exception("could not e-mail the answer to an objection")


def objection_uphold(*, objection: Objection, by: Any, answer: str, outcome: str) -> Objection:
    """The objection is well founded; the item stays suspended for the director to decide."""
    if outcome not in ObjectionOutcome.values:
        raise Invalid(_("Choose what should happen to the item."))
    return _answer(objection, by, "uphold", answer, outcome)


def objection_dismiss(*, objection: Objection, by: Any, answer: str) -> Objection:
    """The objection is unfounded; the written answer lifts the suspension."""
    return _answer(objection, by, "dismiss", answer)
