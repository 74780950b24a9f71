from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from workflow import audit
from workflow.errors import Conflict, Invalid

M = TypeVar("M", bound=models.Model)

MAX_REASON_LENGTH = 2000


def lock(obj: M) -> M:
    """A fresh copy of `obj`, row-locked until the transaction ends (PostgreSQL); SQLite runs
    writers one at a time anyway."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def clean_reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise Invalid(_("A reason is required."))
    if len(text) > MAX_REASON_LENGTH:
        raise Invalid(
            _("The reason is too long (at most %(n)d characters).") % {"n": MAX_REASON_LENGTH}
        )
    return text


def apply_transition(
    obj: models.Model,
    name: str,
    *,
    by: Any,
    role: str,
    reason: str = "",
    diff: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> audit.AuditEvent:
    """Run FSM transition `name` on a locked object, save it and record the audit event."""
    from_state = obj.state
    try:
        getattr(obj, name)()
    except TransitionNotAllowed as exc:
        raise Conflict(
            _(
                "“%(object)s” is now “%(state)s”, so this cannot be done. Someone may have acted "
                "on it first; reload the page to see its current state."
            )
            % {"object": obj, "state": obj.get_state_display()}
        ) from exc
    try:
        obj.save(update_fields=("state", *update_fields))
    except ConcurrentTransition as exc:
        raise Conflict(_("Someone else changed this at the same moment; reload the page.")) from exc
    # The flows catch up before the audit event is written: audit.record locks the one head row
    # of the chain, which every decision in the system waits for, so it is taken as late as
    # possible and held only until the commit (benchmarks/crush.py found the queue on it).
    flows_follow(obj, by=by)
    return audit.record(
        action=f"{obj._meta.model_name}.{name}",
        obj=obj,
        by=by,
        role=role,
        from_state=from_state,
        to_state=obj.state,
        reason=reason,
        diff=diff,
    )


def flows_follow(obj: models.Model, *, by: Any) -> None:
    """Let the flows (processes/) catch up with a change of state, in the same transaction:
    the flows of the object itself and of the call it belongs to."""
    from processes import engine

    call = getattr(obj, "call", None)
    engine.sync(obj, *([call] if call is not None and call is not obj else []), by=by)


def record_edit(
    obj: models.Model, action: str, *, by: Any, role: str, diff: dict[str, Any]
) -> audit.AuditEvent:
    """An audited change that is not a transition: the state stays what it was."""
    return audit.record(
        action=action,
        obj=obj,
        by=by,
        role=role,
        from_state=obj.state,
        to_state=obj.state,
        diff=diff,
    )
