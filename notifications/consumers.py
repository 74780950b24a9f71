"""The notification socket: `/ws/notifications/`, one per open page.

Protocol (JSON):
  client → {"type": "hello", "last_id": L, "have": [ids above L it already has]}   once
  server → {"type": "catchup", "notifications": [...], "unread": n, "more": bool,
            "low_water": W}
  server → {"type": "notification", "notification": {...}}   each new one, live
  server → {"type": "sync", "low_water": W}                   after a heartbeat moved it
  server → {"type": "read", "ids": [...] | null, "up_to": id | null, "unread": n}

`low_water` W means: every notification of the user up to id W has been sent on this socket
or was in the client's hands. A client that reconnects says hello with the last W it was told
and the ids above W it has, and gets exactly the rest. Because notification ids follow commit
order (messenger.notify), "the rest" is a query on ids, however live pushes interleaved.

The user is the session's (AuthMiddlewareStack); anonymous or inactive users are refused before
the handshake completes. The only groups joined are the user's own and its session's, named on
the server, so nothing the client sends can reach another user's notifications.

Live events that arrive before the hello is answered are held back and sent after the catch-up,
skipping any the catch-up already contained: the group is joined before the catch-up query, so
nothing committed in between is lost, and nothing is sent twice on one socket.

A heartbeat re-joins the groups every NOTIFICATIONS_HEARTBEAT seconds and sends every row
above `low_water` the socket has not sent. Group membership lives in the channel layer: it
expires (channels-redis keeps it a day) and is lost when Redis restarts while the socket stays
open, and channels-redis drops group messages beyond a worker's capacity. The heartbeat makes
such a socket whole within one interval, without the client noticing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from notifications import groups, selectors
from notifications.adapters.websocket import as_message

logger = logging.getLogger(__name__)

REFUSED = 4401  # close code: not logged in
BAD_REQUEST = 4400
UNAVAILABLE = 4503  # the channel layer is down: the client reconnects later and catches up
BACKLOG = 1000  # live events held before the hello; more than that and the socket is closed
MAX_HAVE = 1000  # ids a hello may list as already received


def heartbeat_seconds() -> float:
    return float(getattr(settings, "NOTIFICATIONS_HEARTBEAT", 30.0))


@database_sync_to_async
def _catch_up(user_id: int, after: int, have: frozenset[int]) -> dict[str, Any]:
    # Only the user's own ids count as had: a wrong id must not move the low-water mark.
    have = selectors.own_ids(user_id, have) if have else have
    rows, more = selectors.catch_up(user_id, after, have)
    return {
        "type": "catchup",
        "notifications": [as_message(n) for n in rows],
        "unread": selectors.unread_count(user_id),
        "more": more,
        "have": have,
    }


@database_sync_to_async
def _newer(user_id: int, after: int) -> list[dict]:
    return [as_message(n) for n in selectors.catch_up(user_id, after)[0]]


def _ids(value: Any) -> frozenset[int] | None:
    """A list of positive ints, at most MAX_HAVE of them; None when it is not one."""
    if not isinstance(value, list) or len(value) > MAX_HAVE:
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in value):
        return None
    return frozenset(value)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    heartbeat: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the consumer ends (closed, crashed, cancelled), the heartbeat ends
            if self.heartbeat is not None:
                self.heartbeat.cancel()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=REFUSED)
            return
        self.user_id = user.pk
        self.joined: list[str] = [groups.user_group(user.pk)]
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.joined.append(groups.session_group(session.session_key))
        self.greeted = False
        self.backlog: list[dict] = []
        self.sent: set[int] = set()
        self.low_water = 0  # every row up to this id has been sent (or the client had it)
        await self._join()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        for group in getattr(self, "joined", []):
            with contextlib.suppress(Exception):  # the layer may be the reason we disconnect
                await self.channel_layer.group_discard(group, self.channel_name)

    async def _join(self) -> None:
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "hello" or self.greeted:
            return
        last_id = content.get("last_id", 0)
        have = _ids(content.get("have", []))
        if not isinstance(last_id, int) or isinstance(last_id, bool) or last_id < 0 or have is None:
            await self.close(code=BAD_REQUEST)
            return
        reply = await _catch_up(self.user_id, last_id, frozenset(i for i in have if i > last_id))
        have = reply.pop("have")
        sent = [n["id"] for n in reply["notifications"]]
        self.sent = set(have) | set(sent)
        # Everything above last_id committed by now is in `have` or in the reply, unless the
        # reply was cut at the limit: then only up to its last row.
        self.low_water = max([last_id, *sent] if reply["more"] else [last_id, *sent, *have])
        self.sent = {i for i in self.sent if i > self.low_water}
        self.greeted = True
        await self.send_json({**reply, "low_water": self.low_water})
        backlog, self.backlog = self.backlog, []
        for event in backlog:
            await self.notify_message(event)
        self.heartbeat = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        interval = heartbeat_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self._join()
            except Exception:
                logger.warning("channel layer unavailable; closing the socket", exc_info=True)
                await self.close(code=UNAVAILABLE)
                return
            # Every row committed by now above low_water; a row committing later gets a higher
            # id, so it comes live or with the next beat.
            rows = await _newer(self.user_id, self.low_water)
            for n in rows:
                if n["id"] not in self.sent:
                    self.sent.add(n["id"])
                    await self.send_json({"type": "notification", "notification": n})
            # Not the highest id sent: a live one may have overtaken a lost one meanwhile.
            top = max((n["id"] for n in rows), default=self.low_water)
            if top > self.low_water:
                self.low_water = top
                self.sent = {i for i in self.sent if i > top}
                await self.send_json({"type": "sync", "low_water": top})

    async def notify_message(self, event: dict) -> None:
        notification = event["notification"]
        if not self.greeted:
            self.backlog.append(event)
            if len(self.backlog) > BACKLOG:
                await self.close(code=BAD_REQUEST)
            return
        if notification["id"] <= self.low_water or notification["id"] in self.sent:
            return  # already sent (catch-up, heartbeat) or a retried push
        self.sent.add(notification["id"])
        await self.send_json({"type": "notification", "notification": notification})

    async def notify_read(self, event: dict) -> None:
        await self.send_json(
            {
                "type": "read",
                "ids": event.get("ids"),
                "up_to": event.get("up_to"),
                "unread": event["unread"],
            }
        )

    async def notify_session_closed(self, event: dict) -> None:
        await self.close(code=REFUSED)
