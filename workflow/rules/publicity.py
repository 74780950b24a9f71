"""Which objections are accepted (受理), and when an objection suspends an item.

A 2023 provincial notice: objections are made in writing; an organisation's bears its official
seal (加盖公章), an individual's a real name and contact details (具实名并附联系方式);
匿名或无具体事实根据的举报，不予受理.
《招标投标法实施条例》第五十四条: 作出答复前，应当暂停 — while an objection is unanswered, the
item it concerns does not move on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from workflow.errors import Conflict

MIN_FACTS_LENGTH = 20
# Mainland mobile or landline, with optional area code, extension and separators.
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,30}[0-9]$")


@dataclass(frozen=True)
class ObjectorDetails:
    kind: str
    organisation_name: str = ""
    has_letter: bool = False
    person_name: str = ""
    phone: str = ""
    facts: str = ""


def objection_problems(details: ObjectorDetails) -> list[str]:
    """Why an objection cannot be accepted; empty when it can."""
    from workflow.models.publicity import ObjectorKind

    problems = []
    if details.kind == ObjectorKind.ORGANISATION:
        if not details.organisation_name.strip():
            problems.append(_("Give the name of the objecting organisation."))
        if not details.has_letter:
            problems.append(
                _(
                    "An organisation's objection must include a scanned letter bearing its "
                    "official seal, as a PDF file."
                )
            )
    elif details.kind == ObjectorKind.PERSON:
        if not details.person_name.strip() or not details.phone.strip():
            problems.append(
                _(
                    "Anonymous objections are not accepted: give your real name and a phone "
                    "number where the office can reach you."
                )
            )
        elif not PHONE_RE.match(details.phone.strip()):
            problems.append(_("Enter a valid phone number."))
    else:
        problems.append(_("Say whether you object as an organisation or as an individual."))
    if len(details.facts.strip()) < MIN_FACTS_LENGTH:
        problems.append(
            _(
                "Objections without concrete facts are not accepted: describe the specific facts "
                "(at least %(n)d characters)."
            )
            % {"n": MIN_FACTS_LENGTH}
        )
    return problems


def is_suspended(application) -> bool:
    """An item stays suspended while an objection to it is unanswered, and after one is upheld
    until the director decides it (not approving stays possible)."""
    from workflow.models.publicity import Objection, ObjectionState

    return Objection.objects.filter(
        application_id=application.pk,
        state__in=(ObjectionState.RECEIVED, ObjectionState.UPHELD),
    ).exists()


def require_not_suspended(application) -> None:
    if is_suspended(application):
        raise Conflict(
            _(
                "An objection to “%(application)s” is open or was upheld; the item is suspended "
                "and cannot be approved until it is resolved."
            )
            % {"application": application.title}
        )


def require_notice_over(call, now=None) -> None:
    """公示 first: nothing is countersigned or decided while the notice period runs (the
    objections it invites could change the proposal). A call without a notice row is not in
    notice."""
    from django.utils import formats, timezone

    try:
        publicity = call.publicity
    except ObjectDoesNotExist:
        publicity = None
    now = now or timezone.now()
    if publicity is not None and now < publicity.ends_at:
        raise Conflict(
            _(
                "The public notice of “%(call)s” runs until %(end)s; the proposal can be "
                "countersigned and decided only after it ends."
            )
            % {
                "call": call.title,
                "end": formats.date_format(
                    timezone.localtime(publicity.ends_at), "DATETIME_FORMAT"
                ),
            }
        )


def require_approvable(application) -> None:
    """The director approves an item only after the notice ended and while no objection to it
    stands."""
    require_notice_over(application.call)
    require_not_suspended(application)
