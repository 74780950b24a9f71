"""审计留痕: the tamper-evident, hash-chained audit trail.

Each event's hash is SHA-256 over a canonical JSON serialisation of its fields, including the
previous event's hash. Changing, removing, inserting or reordering rows breaks the chain at the
first altered event; `manage.py audit_verify` walks it. Rows added or cut off at the very end
are caught by comparing with AuditHead; a DBA who rewrites the whole chain and the head is caught
only against a copy of the head hash kept outside the database (`audit_verify --expect-head`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from workflow.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64

# Fields covered by the hash, in this order; the serialisation sorts keys anyway, the list is
# what verification reads back from the database.
HASHED_FIELDS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_name",
    "role",
    "action",
    "object_type",
    "object_id",
    "from_state",
    "to_state",
    "reason",
    "diff",
    "client_ip",
    "prev_hash",
)

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def normalise_ip(value: str | None) -> str | None:
    """The form the database stores, so that the hash survives the round trip."""
    if not value:
        return None
    try:
        parsed = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(parsed)) if parsed.version == 6 else str(parsed)


def client_ip_from_request(request: HttpRequest, trusted_proxies: int = 0) -> str | None:
    """REMOTE_ADDR, or the address the n-th trusted proxy saw when proxies are configured."""
    if trusted_proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= trusted_proxies:
            return normalise_ip(forwarded[-trusted_proxies])
    return normalise_ip(request.META.get("REMOTE_ADDR"))


class AuditContextMiddleware:
    """Makes the client IP available to the services without passing the request down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        token = _client_ip.set(client_ip_from_request(request, settings.TRUSTED_PROXY_COUNT))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def digest(data: Any) -> str:
    """SHA-256 of the canonical JSON of `data` (sorted keys, no spaces, UTF-8): the one
    serialisation behind audit hashes, draw commitments and signed score sheets."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def compute_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical serialisation of an event's hashed fields."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["created_at"] = _timestamp(payload["created_at"])
    return digest(payload)


def object_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def record(
    *,
    action: str,
    obj: models.Model,
    by: Any | None,
    role: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    diff: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the decision it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the decision's transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"sequence": 0, "hash": GENESIS_HASH}
    )
    actor = by if by is not None and getattr(by, "is_authenticated", False) else None
    fields: dict[str, Any] = {
        "sequence": head.sequence + 1,
        "created_at": timezone.now(),
        "actor_id": actor.pk if actor else None,
        "actor_name": actor.get_username() if actor else "",
        "role": str(role),
        "action": action,
        "object_type": object_label(obj),
        "object_id": str(obj.pk),
        "from_state": str(from_state),
        "to_state": str(to_state),
        "reason": reason,
        "diff": _json_safe(dict(diff or {})),
        "client_ip": _client_ip.get(),
        "prev_hash": head.hash,
    }
    fields["hash"] = compute_hash(fields)
    event = AuditEvent.objects.create(**fields)
    head.sequence, head.hash = event.sequence, event.hash
    head.save(update_fields=["sequence", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    verified: int
    broken_at: int | None = None
    problem: str = ""
    head_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(
    events: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None
) -> ChainReport:
    """Walk events in sequence order; report how many verified and the first broken link."""
    expected_prev, expected_seq, verified = GENESIS_HASH, 1, 0
    for event in events:
        seq = event["sequence"]
        if seq != expected_seq:
            return ChainReport(verified, expected_seq, f"sequence {expected_seq} missing")
        if event["prev_hash"] != expected_prev:
            return ChainReport(verified, seq, "previous-hash link does not match")
        if compute_hash(event) != event["hash"]:
            return ChainReport(verified, seq, "content does not match its hash")
        expected_prev, expected_seq, verified = event["hash"], seq + 1, verified + 1
    if head is None:
        if verified:
            return ChainReport(verified, verified, "chain head is missing")
    elif head["sequence"] != verified or head["hash"] != expected_prev:
        return ChainReport(
            verified,
            min(head["sequence"], verified) + 1,
            f"chain head says #{head['sequence']} but the trail ends at #{verified}",
        )
    return ChainReport(verified, head_hash=expected_prev)


def verify_database(chunk_size: int = 2000) -> ChainReport:
    events = AuditEvent.objects.order_by("sequence").values(*HASHED_FIELDS, "hash")
    head = AuditHead.objects.filter(pk=1).values("sequence", "hash").first()
    return verify_chain(events.iterator(chunk_size=chunk_size), head)
