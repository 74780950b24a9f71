"""Test settings: the embedded defaults (or DATABASE_URL/REDIS_URL when CI sets them), made fast."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# Plain HTTP on localhost; the second factor is switched on by its own tests
# (tests/portal/test_security.py), the others log in with force_login.
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_REQUIRE_2FA", "0")
# One media folder per test process: parallel workers (pytest-xdist) number their rows alike.
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(
    prefix=f"jiebang-media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
)

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests travel in time (deadlines, notices) with one logged-in client; the idle expiry has its
# own test with the production value.
SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
