"""Channel-layer group names and the event types sent to them.

Group names are ASCII (channels allows letters, digits, hyphens, underscores and periods, under
100 characters). Every group is derived on the server from a checked identity, never taken
from the client:

- `user.<id>`: every open tab of one user; joined by NotificationConsumer for the session user.
- `session.<digest>`: the sockets opened with one login session; told to close at logout.
- `call.<id>.review`: the live review dashboard of one call, joined by ReviewDashboardConsumer
  (notifications/dashboard.py) for office staff and directors of the call's office; told
  `review.changed` after every decision that changes the call's scoring progress.
"""

from __future__ import annotations

import hashlib

# Event types: the part before the dot names the consumer family, the handler is
# `<family>_<event>` (channels maps "notify.message" to the method notify_message).
MESSAGE = "notify.message"  # {"notification": {...}} one new notification
READ = "notify.read"  # {"ids": [...] | None, "up_to": id | None, "unread": n}
SESSION_CLOSED = "notify.session_closed"  # the login session ended
REVIEW_CHANGED = "review.changed"  # {"call": id} a call's scoring progress changed


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def session_group(session_key: str) -> str:
    # The session key is a credential: the group name carries a digest of it, never the key.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def call_review_group(call_id: int) -> str:
    """The live review dashboard of one call (see docs/notifications.md)."""
    return f"call.{int(call_id)}.review"
