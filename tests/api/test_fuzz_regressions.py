"""What the schemathesis run (test_schemathesis.py) found, each with its minimal input: every
answer of the API is documented in its OpenAPI schema (status code, content type, body), and
input the schema calls invalid is refused."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.factories import OrganisationFactory, member, published_call
from workflow.choices import ApplicationState, Role
from workflow.models import Application, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def client_for(user=None) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        api.force_authenticate(user)
    return api


def assert_documented(schema: dict, path: str, method: str, response) -> None:
    """The status code is documented for the operation, with JSON, and the body matches."""
    responses = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (response.status_code, list(responses))
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    documented = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**documented, "components": schema["components"]})


def test_an_error_without_problems_matches_the_error_schema(schema):
    """401/403/404 carry only `detail`; `problems` was documented as always present."""
    response = client_for().get(reverse("api:application_list"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert_documented(schema, "/api/v1/applications/", "get", response)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_field_errors_match_the_400_schema(schema):
    """A 400 for bad fields is `{field: [messages]}`; the schema demanded `detail`."""
    applicant = member(Role.APPLICANT, OrganisationFactory())
    response = client_for(applicant).post(reverse("api:application_list"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"call", "title"}
    assert_documented(schema, "/api/v1/applications/", "post", response)
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("api:call_list", "/api/v1/calls/"),
        ("api:notice_list", "/api/v1/notices/"),
        ("api:award_list", "/api/v1/awards/"),
    ],
)
def test_a_page_that_does_not_exist_is_a_documented_404(schema, name, path):
    response = client_for().get(reverse(name), {"page": 999})
    assert response.status_code == 404
    assert_documented(schema, path, "get", response)


def test_an_empty_page_is_refused_not_read_as_the_first(schema):
    published_call()
    api = client_for()
    assert api.get(reverse("api:call_list")).json()["count"] == 1
    response = api.get(reverse("api:call_list") + "?page=")
    assert response.status_code == 404
    assert_documented(schema, "/api/v1/calls/", "get", response)


def test_a_call_that_is_not_public_is_a_documented_404(schema):
    response = client_for().get(reverse("api:call_detail", args=[999_999]))
    assert response.status_code == 404
    assert_documented(schema, "/api/v1/calls/{id}/", "get", response)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("api:assignment_list", "/api/v1/assignments/"),
        ("api:office_call_list", "/api/v1/office/calls/"),
    ],
)
def test_role_lists_document_401_and_403(schema, name, path):
    anonymous = client_for().get(reverse(name))
    assert anonymous.status_code == 401
    assert_documented(schema, path, "get", anonymous)
    applicant = member(Role.APPLICANT, OrganisationFactory())
    refused = client_for(applicant).get(reverse(name))
    assert refused.status_code == 403
    assert_documented(schema, path, "get", refused)


def test_an_empty_state_filter_is_refused(schema):
    call = published_call()
    staff = member(Role.OFFICE_STAFF, call.office)
    api = client_for(staff)
    url = reverse("api:office_application_list")
    assert api.get(url).status_code == 200
    assert api.get(url, {"state": ApplicationState.SUBMITTED}).status_code == 200
    response = api.get(url + "?state=")
    assert response.status_code == 400
    assert response.json() == {"state": ["Unknown state."]}
    assert_documented(schema, "/api/v1/office/applications/", "get", response)


def test_bad_credentials_for_a_token_are_a_documented_400(schema):
    response = client_for().post(
        reverse("api:token"), {"username": "", "password": ""}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}
    assert_documented(schema, "/api/v1/auth/token/", "post", response)


def test_a_locked_out_token_request_is_a_documented_429(schema, settings):
    user = member(Role.APPLICANT, OrganisationFactory())
    api = client_for()
    url = reverse("api:token")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(url, {"username": user.username, "password": "wrong"}, format="json")
    response = api.post(url, {"username": user.username, "password": "wrong"}, format="json")
    assert response.status_code == 429
    assert_documented(schema, "/api/v1/auth/token/", "post", response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/applications/abc/"),
        ("get", "/api/v1/calls/-1/"),
        ("patch", "/api/v1/applications/%20/"),
        ("post", "/api/v1/office/calls/x/publish/"),
        ("delete", "/api/v1/applications/1/attachments/a/"),
        ("get", "/api/v1/no-such-endpoint/"),
        ("get", "/api/v1/applications/%0A/attachments/Q/"),
    ],
)
def test_an_id_that_is_not_a_number_is_a_json_404(method, path):
    """Django's URL patterns (<int:pk>) did not match: the portal's HTML 404 page, or for an
    unsafe method the CSRF failure page (403, HTML)."""
    events = AuditEvent.objects.count()
    response = getattr(Client(enforce_csrf_checks=True), method)(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    assert AuditEvent.objects.count() == events


def test_a_path_without_its_slash_still_redirects():
    response = Client().get("/api/v1/calls")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/calls/"


def test_the_upload_documents_415_for_a_json_body(schema):
    assert "415" in schema["paths"]["/api/v1/applications/{id}/attachments/"]["post"]["responses"]
