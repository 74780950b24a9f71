"""Channel-layer variants for benchmarks/notify.py, chosen with --layer (env BENCH_LAYER):

- settings: exactly what config/settings.py configures (RedisChannelLayer, default capacity);
- capacity: RedisChannelLayer with a per-channel capacity large enough for a fan-out to every
  socket of one worker (channels-redis queues all of a process's messages under one key, and
  drops group messages beyond `capacity`, 100 by default);
- pubsub: channels-redis's RedisPubSubChannelLayer (PUBLISH per group, no queue, no capacity).
"""

import os

from config.test_settings import *  # noqa: F403
from config.test_settings import REDIS_URL

_LAYER = os.environ.get("BENCH_LAYER", "settings")
if _LAYER == "capacity":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 10_000},
        }
    }
elif _LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
