"""Close the sockets of a session when the user logs out of it."""

from __future__ import annotations

import logging
from typing import Any

from notifications.adapters import websocket

logger = logging.getLogger(__name__)


def close_sockets_on_logout(sender: Any, request: Any = None, user: Any = None, **kwargs) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if not key:
        return
    try:
        websocket.close_session(key)
    except Exception:  # logging out must work with the channel layer down
        logger.warning("could not close the sockets of a logged-out session", exc_info=True)
