"""The live review dashboard's socket: `/ws/review/<call_id>/`, one per open dashboard page.

Protocol (JSON), from the server only:
  server → {"type": "snapshot", "call": id, "sheets": n, "submitted": n, ...,
            "applications": [...], "experts": [...]}
sent on connect, after each change of the call's scoring progress, and after a heartbeat that
finds the progress changed. The snapshot is `workflow.selectors.review_progress(call)` (counts
and dispersion flags, never a mark or a total). It is the dashboard's whole state, hence its
catch-up: the `review.changed` events that the scoring and review services send after commit
(`notifications.messenger.review_changed`) carry only the call, and need no outbox.

Who may watch: the session user, if office staff or director of the call's office, the rule of
the dashboard page (`workflow.access.calls_managed_by`). Anonymous or inactive users are refused
with 4401, anyone else, and a call that does not exist, with 4403 (the socket does not say
which). The rule is asked again before every snapshot, so a user who leaves the office, or is
deactivated, stops receiving them and the socket is closed. The client sends nothing; what it
might send is ignored, and the only group joined is the one named by the route on the server.

Events that arrive while a snapshot is being read are folded into one more read, so a burst of
submissions costs a few reads per socket, not one per event. A heartbeat
(NOTIFICATIONS_HEARTBEAT seconds) re-joins the group, whose membership the channel layer may
lose (Redis restarted, a day passed), and sends a snapshot if the progress changed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from notifications import groups
from notifications.consumers import REFUSED, UNAVAILABLE, heartbeat_seconds
from workflow import access
from workflow.selectors.dashboard import review_progress

logger = logging.getLogger(__name__)

FORBIDDEN = 4403  # close code: logged in, but not office staff or director of the call's office


def may_watch(user_id: int, call_id: int) -> bool:
    """Whether the user (active, read afresh) may see the call's review dashboard."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user is not None and access.calls_managed_by(user).filter(pk=call_id).exists()


@database_sync_to_async
def _may_watch(user_id: int, call_id: int) -> bool:
    return may_watch(user_id, call_id)


@database_sync_to_async
def _snapshot(user_id: int, call_id: int) -> dict[str, Any] | None:
    """The call's snapshot, or None when the user may not (or may no longer) watch it."""
    if not may_watch(user_id, call_id):
        return None
    return review_progress(call_id).as_message()


class ReviewDashboardConsumer(AsyncJsonWebsocketConsumer):
    heartbeat: asyncio.Task | None = None
    refresher: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the consumer ends, its tasks end with it
            self._stop_tasks()

    def _stop_tasks(self) -> None:
        for task in (self.heartbeat, self.refresher):
            if task is not None:
                task.cancel()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=REFUSED)
            return
        self.user_id = user.pk
        self.call_id = int(self.scope["url_route"]["kwargs"]["call_id"])
        if not await _may_watch(self.user_id, self.call_id):
            await self.close(code=FORBIDDEN)
            return
        self.group = groups.call_review_group(self.call_id)
        self.last: dict[str, Any] | None = None
        self.dirty = False
        # The group first, then the snapshot: a change committed in between is either in the
        # snapshot or arrives as an event (and an unchanged snapshot is not sent twice).
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self._refresh()
        self.heartbeat = asyncio.create_task(self._beat())

    async def disconnect(self, code: int) -> None:
        self._stop_tasks()
        if hasattr(self, "group"):
            with contextlib.suppress(Exception):  # the layer may be why we disconnect
                await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs: Any) -> None:
        """The client has nothing to say (the dashboard is read-only): whatever it sends, even
        what is not JSON, is ignored."""

    async def review_changed(self, event: dict) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self.dirty = True
        if self.refresher is None or self.refresher.done():
            self.refresher = asyncio.create_task(self._send_snapshots())

    async def _send_snapshots(self) -> None:
        while self.dirty:
            self.dirty = False
            try:
                snapshot = await _snapshot(self.user_id, self.call_id)
            except Exception:  # the next event or heartbeat tries again
                logger.exception("could not read the review progress of call %s", self.call_id)
                return
            if snapshot is None:
                await self.close(code=FORBIDDEN)
                return
            if snapshot != self.last:
                self.last = snapshot
                await self.send_json(snapshot)

    async def _beat(self) -> None:
        interval = heartbeat_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception:
                logger.warning("channel layer unavailable; closing the socket", exc_info=True)
                await self.close(code=UNAVAILABLE)
                return
            self._refresh()
