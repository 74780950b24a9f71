"""The rubric admin: the tree is validated as a whole and written through the services."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from tests.factories import published_call
from tests.portal.helpers import logged_in, text
from workflow.choices import Role
from workflow.models import AuditEvent, Indicator, Membership, Rubric

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(_chinese_by_default):
    with translation.override("en"):
        yield


ROWS = [
    # code, name, level, parent, weight, kind
    ("1", "实训功能", 1, "", "60", "judged"),
    ("1.1", "实训条件", 2, "1", "60", "judged"),
    ("2", "年培训规模", 1, "", "40", "quantitative"),
]


def post(rows, **fields):
    data = {
        "name": "测试评分细则",
        "source": "",
        "aggregation": "mean",
        "dispersion_margin": "15",
        "abnormal_low_ratio": "0.60",
        "abnormal_high_ratio": "0.95",
        "indicators-TOTAL_FORMS": str(len(rows)),
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, (code, name, level, parent, weight, kind) in enumerate(rows):
        data.update(
            {
                f"indicators-{n}-code": code,
                f"indicators-{n}-name": name,
                f"indicators-{n}-level": str(level),
                f"indicators-{n}-parent_code": parent,
                f"indicators-{n}-position": str(n),
                f"indicators-{n}-weight": weight,
                f"indicators-{n}-kind": kind,
                f"indicators-{n}-unit": "",
                f"indicators-{n}-guidance": "[]",
            }
        )
    return data


@pytest.fixture
def admin_client(db):
    user = get_user_model().objects.create_superuser("admin", password="x")
    return logged_in(user), user


def test_a_template_is_created_through_the_service(admin_client):
    client, _user = admin_client
    response = client.post(reverse("admin:workflow_rubric_add"), post(ROWS))
    assert response.status_code == 302, text(response)
    rubric = Rubric.objects.get(name="测试评分细则")
    assert rubric.call is None
    assert Indicator.objects.get(rubric=rubric, code="1.1").parent.code == "1"
    assert AuditEvent.objects.filter(action="rubric.create", object_id=str(rubric.pk)).exists()


def test_an_invalid_tree_is_shown_and_nothing_saved(admin_client):
    client, _user = admin_client
    rows = [*ROWS[:2], ("2", "年培训规模", 1, "", "30", "quantitative")]
    response = client.post(reverse("admin:workflow_rubric_add"), post(rows))
    assert response.status_code == 200
    assert "they must total exactly 100" in text(response)
    assert not Rubric.objects.exists()


def test_a_calls_rubric_needs_its_offices_staff(admin_client):
    client, user = admin_client
    call = published_call()
    response = client.post(reverse("admin:workflow_rubric_add"), post(ROWS, call=str(call.pk)))
    assert response.status_code == 200
    assert "Only staff of the office" in text(response)
    # Once the superuser is staff of the call's office, it may.
    Membership.objects.create(user=user, role=Role.OFFICE_STAFF, office=call.office)
    response = client.post(reverse("admin:workflow_rubric_add"), post(ROWS, call=str(call.pk)))
    assert response.status_code == 302
    rubric = Rubric.objects.get(call=call)
    change = reverse("admin:workflow_rubric_change", args=[rubric.pk])
    assert client.get(change).status_code == 200
    ids = {i.code: i.pk for i in rubric.indicators.all()}
    data = post(
        [
            ("1", "实训功能", 1, "", "70", "judged"),
            ("1.1", "实训条件", 2, "1", "70", "judged"),
            ("2", "年培训规模", 1, "", "30", "quantitative"),
        ],
        **{"indicators-INITIAL_FORMS": "3"},
    )
    for n, code in enumerate(["1", "1.1", "2"]):
        data[f"indicators-{n}-id"] = str(ids[code])
        data[f"indicators-{n}-rubric"] = str(rubric.pk)
    response = client.post(change, data)
    assert response.status_code == 302, text(response)
    assert Indicator.objects.get(rubric=rubric, code="2").weight == 30
    assert AuditEvent.objects.filter(action="rubric.set_indicators").exists()
    assert client.get(reverse("admin:workflow_rubric_delete", args=[rubric.pk])).status_code == 403
