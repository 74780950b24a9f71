"""The settings switch between embedded defaults and real components."""

import asyncio
import os
import subprocess
import sys

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings


def _settings_in_subprocess(env: dict[str, str], expr: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_DEBUG"}
    }
    code = f"import config.settings as s; print({expr})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = _settings_in_subprocess({}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults_with_debug_on(tmp_path):
    result = _settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "VAR_DIR": str(tmp_path)},
        "s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND']",
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout and "InMemoryChannelLayer" in result.stdout


def test_real_components_when_urls_are_set():
    result = _settings_in_subprocess(
        {
            "SECRET_KEY": "x",
            "DATABASE_URL": "postgres://u@db:5432/app",
            "REDIS_URL": "redis://cache:6379/0",
        },
        "s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND']",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout and "RedisPubSubChannelLayer" in result.stdout


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


@pytest.mark.redis
def test_redis_channel_layer_round_trip():
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisPubSubChannelLayer"

    async def round_trip():
        channel = await layer.new_channel()
        # Pub/sub delivers only to subscribers: listen first, then send.
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.2)
        await layer.send(channel, {"type": "ping", "text": "你好"})
        try:
            return await asyncio.wait_for(receiving, timeout=5)
        finally:
            await layer.flush()

    assert async_to_sync(round_trip)() == {"type": "ping", "text": "你好"}
