import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Tests see what users see: Chinese first."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _real_servers_only(request):
    """A test marked `postgres` or `redis` fails, never skips, without that server:
    CI's second pass must not pass by running nothing."""
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL: set DATABASE_URL (see .ci/run)")
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        pytest.fail("this test needs Redis: set REDIS_URL (see .ci/run)")
