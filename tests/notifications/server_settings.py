"""Settings for the daphne workers the real-server tests start: the test settings with a short
heartbeat, so that a socket that lost its group is repaired within the test's patience, and
optionally another channel-layer backend (CHANNEL_LAYER_BACKEND), so that the tests can run
against the layer docs/notifications.md recommends as well as the configured one."""

import os

from config.test_settings import *  # noqa: F403
from config.test_settings import REDIS_URL

NOTIFICATIONS_HEARTBEAT = 1.0

if os.environ.get("CHANNEL_LAYER_BACKEND"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": os.environ["CHANNEL_LAYER_BACKEND"],
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
