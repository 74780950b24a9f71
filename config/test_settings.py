"""Test settings: the embedded defaults (or DATABASE_URL/REDIS_URL when CI sets them), made fast."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# One media folder per test process: parallel workers (pytest-xdist) number their rows alike.
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(
    prefix=f"jiebang-media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
)

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
