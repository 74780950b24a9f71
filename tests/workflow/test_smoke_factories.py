import pytest

from tests.factories import complete_application
from workflow.choices import ApplicationState, CallState


@pytest.mark.django_db
def test_complete_application_is_a_draft_of_a_published_call():
    application = complete_application()
    assert application.state == ApplicationState.DRAFT
    assert application.call.state == CallState.PUBLISHED
    assert application.attachments.count() == len(application.call.required_attachments)
