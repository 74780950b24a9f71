"""回避申请: an applicant names up to 3 pool experts it asks not to be reviewed by; once the
office accepts a request, recusal rule 5 keeps that expert off the application
(政府采购法实施条例 第九条 末款; 国家自然科学基金条例 第十九条)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from workflow import access, audit
from workflow.choices import ApplicationState
from workflow.errors import Conflict, Invalid
from workflow.models import Application, AvoidanceRequest, Expert
from workflow.services.base import apply_transition, clean_reason, lock

MAX_AVOIDANCE_REQUESTS = 3
# Filing waits for the submission (the office must know who asks) and ends when review starts:
# after that the panel is drawn and a late request could only reveal or shape it.
AVOIDANCE_FILING_STATES = (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED)
AVOIDANCE_DECISION_STATES = (
    ApplicationState.SUBMITTED,
    ApplicationState.RETURNED,
    ApplicationState.ACCEPTED,
)


def avoidance_request_file(
    *, application: Application, expert: Expert, reason: str, by: Any
) -> AvoidanceRequest:
    """The applicant names one pool expert it asks not to be reviewed by, with a reason.

    At most 3 per application, counting every request filed (a refused one too): the right is
    to name 3 experts, not to keep trying names until some are accepted.
    """
    role = access.require_applicant(by, application)
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        application = lock(application)
        if application.state not in AVOIDANCE_FILING_STATES:
            raise Conflict(
                _(
                    "Avoidance requests can be filed once the application is submitted and "
                    "until expert review starts; this application is “%(state)s”."
                )
                % {"state": application.get_state_display()}
            )
        expert = Expert.objects.filter(pk=expert.pk, active=True).first()
        if expert is None:
            raise Invalid(_("Choose an expert from the active expert pool."))
        filed = AvoidanceRequest.objects.filter(application=application)
        if filed.filter(expert=expert).exists():
            raise Invalid(_("You have already asked to avoid this expert."))
        if filed.count() >= MAX_AVOIDANCE_REQUESTS:
            raise Invalid(
                _("An application may name at most %(n)d experts to avoid.")
                % {"n": MAX_AVOIDANCE_REQUESTS}
            )
        request = AvoidanceRequest.objects.create(
            application=application, expert=expert, reason=reason
        )
        audit.record(
            action="avoidancerequest.file",
            obj=request,
            by=by,
            role=role,
            to_state=request.state,
            reason=reason,
            diff={"application": application.pk, "expert": expert.pk, "expert_name": expert.name},
        )
    return request


def _decide(request: AvoidanceRequest, name: str, *, by: Any, reason: str) -> AvoidanceRequest:
    with transaction.atomic():
        application = lock(request.application)
        role = access.require_office(by, application.call)
        request = lock(request)
        if application.state not in AVOIDANCE_DECISION_STATES:
            raise Conflict(
                _(
                    "Expert review of this application has started; avoidance requests can no "
                    "longer be decided."
                )
            )
        request.decided_by = by
        apply_transition(
            request,
            name,
            by=by,
            role=role,
            reason=reason,
            diff={"application": application.pk, "expert": request.expert_id},
            update_fields=("decided_by",),
        )
    return request


def avoidance_request_accept(
    *, request: AvoidanceRequest, by: Any, reason: str = ""
) -> AvoidanceRequest:
    """The expert will not be drawn for this application (recusal rule 5)."""
    return _decide(request, "accept", by=by, reason=clean_reason(reason, required=False))


def avoidance_request_refuse(
    *, request: AvoidanceRequest, by: Any, reason: str
) -> AvoidanceRequest:
    """The reason is kept in the audit trail and shown to the applicant."""
    return _decide(request, "refuse", by=by, reason=clean_reason(reason, required=True))
