"""The one messenger: a decision names a message kind and its recipients once; adapters deliver.

    with transaction.atomic():
        ...  # the decision, its audit record
        notify(Kind.APPLICATION_RETURNED, recipients.applicants_of(org_id), application,
               reason=reason, due=application.correction_due)

`notify` runs inside the decision's transaction and writes one Notification per recipient (the
outbox): a rolled-back decision leaves none, a committed one leaves all of them whatever happens
to delivery. Delivery (WebSocket push, email) is registered with `transaction.on_commit`; its
failures are logged and never reach the decision. What was not delivered is retried by the
scheduler (notifications.outbox) and caught up by clients when they reconnect.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.urls import NoReverseMatch
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.text import Truncator

from notifications.kinds import SPECS, Kind
from notifications.models import (
    DEFAULT_DELIVERY,
    DEFAULT_LANGUAGE,
    Delivery,
    EmailStatus,
    Notification,
)

logger = logging.getLogger(__name__)

REASON_CHARS = 200  # a reason longer than this is cut in the text; the payload keeps it whole
TEXT_CHARS = 500


def _hold_sequence() -> None:
    """Take the audit chain's head lock (workflow.audit) until the transaction ends.

    Every audited decision already holds it, so this costs nothing there; it makes notification
    ids follow commit order on PostgreSQL too (no transaction can insert a notification while
    another that inserted a lower id is still open), which is what lets a client catch up
    exactly with `id > last seen`. One lock row for both means no lock-order deadlock.
    """
    from workflow.audit import GENESIS_HASH
    from workflow.models import AuditHead

    AuditHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"sequence": 0, "hash": GENESIS_HASH}
    )


def describe(obj: models.Model | None) -> dict[str, Any]:
    """The standard placeholders for the object a message is about."""
    from workflow.models import Application, Assignment, Call, Draw, Invitation

    if isinstance(obj, Application):
        return {
            "application": obj.title,
            "call": obj.call.title,
            "organisation": obj.organisation.name,
        }
    if isinstance(obj, Call):
        return {"call": obj.title}
    if isinstance(obj, Draw):
        return {"call": obj.call.title}
    if isinstance(obj, Invitation):
        return {"call": obj.draw.call.title, "expert": obj.expert.name}
    if isinstance(obj, Assignment):
        return {
            "application": obj.application.title,
            "call": obj.application.call.title,
            "expert": obj.expert.name,
        }
    return {"subject": str(obj)} if obj is not None else {}


def _shown(name: str, value: Any) -> Any:
    """A context value as the reader sees it, in the active language and Beijing time."""
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if value is None:
        return "—"
    text = str(value)
    return Truncator(text).chars(REASON_CHARS) if name == "reason" else text


def _stored(value: Any) -> Any:
    """A context value as the payload keeps it (JSON, language of the recipient for labels)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Promise | models.Model):
        return str(value)
    return value


def render(kind: Kind, context: Mapping[str, Any]) -> str:
    """The text of `kind` in the active language. A template bug never fails the decision:
    it is logged and the kind's label stands in."""
    try:
        text = str(SPECS[kind].text) % {k: _shown(k, v) for k, v in context.items()}
    except (KeyError, ValueError, TypeError):
        logger.exception("notification template %s failed with context %r", kind, context)
        text = str(kind.label)
    return Truncator(text).chars(TEXT_CHARS)


def language_of(user: Any) -> str:
    pref = getattr(user, "notification_preference", None)
    code = pref.language if pref else DEFAULT_LANGUAGE
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def wants_email(user: Any) -> bool:
    pref = getattr(user, "notification_preference", None)
    delivery = pref.delivery if pref else DEFAULT_DELIVERY
    return delivery == Delivery.IN_APP_AND_EMAIL and bool(user.email)


def _user_ids(recipients: Iterable[Any]) -> list[int]:
    return sorted({r if isinstance(r, int) else r.pk for r in recipients})


def _url(kind: Kind, obj: models.Model | None) -> str:
    if obj is None:
        return ""
    try:
        return SPECS[kind].url(obj)
    except (NoReverseMatch, AttributeError):
        logger.exception("no link for notification %s about %r", kind, obj)
        return ""


def notify(
    kind: Kind | str, recipients: Iterable[Any], obj: models.Model | None = None, **context: Any
) -> list[Notification]:
    """Write one notification per recipient (user or user id) in the current transaction and
    deliver them after it commits. Inactive users are skipped. Returns the rows written."""
    if not connection.in_atomic_block:
        raise RuntimeError("notify() must run inside the decision's transaction")
    kind = Kind(kind)
    ids = _user_ids(recipients)
    if not ids:
        return []
    _hold_sequence()
    users = get_user_model().objects.filter(pk__in=ids, is_active=True)
    users = users.select_related("notification_preference").order_by("pk")
    context = {**describe(obj), **context}
    target_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    target_id = str(obj.pk) if obj is not None else ""
    url = _url(kind, obj)
    now = timezone.now()
    rows = []
    for user in users:
        with translation.override(language_of(user)):
            text = render(kind, context)
            payload = {k: _stored(v) for k, v in context.items()}
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                target_type=target_type,
                target_id=target_id,
                text=text,
                url=url,
                payload=payload,
                created_at=now,
                email_status=EmailStatus.PENDING if wants_email(user) else EmailStatus.NONE,
            )
        )
    Notification.objects.bulk_create(rows)
    transaction.on_commit(partial(deliver, rows), robust=True)
    return rows


def deliver(notifications: list[Notification]) -> None:
    """Run every adapter; one failing does not stop the others and nothing is raised."""
    from notifications.adapters import email, websocket

    for adapter in (websocket.push, email.send):
        try:
            adapter(notifications)
        except Exception:
            logger.exception(
                "%s failed for %d notifications; the scheduler retries",
                adapter.__module__,
                len(notifications),
            )


def review_changed(call_id: int) -> None:
    """Tell the call's live review dashboards, once the current transaction commits, that its
    scoring progress changed. Nothing is stored: a dashboard reads a fresh snapshot on the
    event and on every (re)connection, so a lost event costs at most one heartbeat of delay.
    A rolled-back decision sends nothing; a failed send is logged, never raised."""
    transaction.on_commit(partial(_push_review_changed, call_id), robust=True)


def _push_review_changed(call_id: int) -> None:
    from notifications.adapters import websocket

    try:
        websocket.push_review_changed(call_id)
    except Exception:
        logger.warning("could not tell the review dashboards of call %s", call_id, exc_info=True)
