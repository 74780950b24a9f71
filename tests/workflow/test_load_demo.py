"""`manage.py load_demo`: the demo data set, loaded through the real services, idempotently."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from workflow import demo
from workflow.audit import verify_database
from workflow.choices import (
    ApplicantType,
    ApplicationState,
    AssignmentState,
    CallState,
    DrawState,
    InvitationState,
    Role,
)
from workflow.models import (
    Application,
    ApplicationFunding,
    Assignment,
    Attachment,
    AuditEvent,
    Call,
    Department,
    Draw,
    Expert,
    FormalCheck,
    Membership,
    Office,
    Organisation,
    Rubric,
)
from workflow.rules.credit_code import credit_code, is_valid_credit_code

MODELS = [
    get_user_model(),
    Membership,
    Office,
    Department,
    Organisation,
    Call,
    Application,
    ApplicationFunding,
    Attachment,
    FormalCheck,
    AuditEvent,
]


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_load_demo_twice_builds_the_data_set_once(settings):
    settings.DEBUG = True
    first = load()
    after_first = counts()
    last_event = AuditEvent.objects.order_by("-sequence").values_list("hash", flat=True).first()

    second = load()

    # The second run creates nothing and writes no audit event, and still prints the logins.
    assert counts() == after_first
    assert (
        AuditEvent.objects.order_by("-sequence").values_list("hash", flat=True).first()
        == last_event
    )
    assert "nothing to create" in second
    for output in (first, second):
        assert demo.DEMO_PASSWORD in output
        for username in ["admin", *(spec.username for spec in demo.USERS)]:
            assert username in output

    # Units.
    province = Office.objects.get(name="山西省促进产教融合厅际联席会议办公室")
    assert province.level == "province" and province.region == "山西省"
    assert Office.objects.count() == 3
    assert Office.objects.filter(level="city", parent=province).count() == 2
    assert Department.objects.filter(office=province).count() == 7
    assert {"省发展改革委", "省教育厅", "省财政厅", "省国资委", "省小企业发展促进局"} <= set(
        Department.objects.values_list("short_name", flat=True)
    )

    # Applicants: eight bodies of all five types, credit codes valid or absent.
    assert Organisation.objects.count() == 8
    assert set(Organisation.objects.values_list("applicant_type", flat=True)) == set(
        ApplicantType.values
    )
    for code in Organisation.objects.values_list("credit_code", flat=True):
        assert code is None or is_valid_credit_code(code)

    # Calls: a provincial pair and a city call; the one whose window passed is under review.
    # (workflow.demo_lifecycle adds three provincial calls after approval: see its own test.)
    demo_calls = Call.objects.filter(title__in=[spec.title for spec in demo.CALLS])
    assert demo_calls.count() == 3 and Call.objects.count() == 6
    assert Call.objects.filter(level="city", office__level="city").count() == 1
    closing = Call.objects.get(title="山西省现代农业（山西农谷）产教融合实训基地")
    assert closing.closes_at < max(FormalCheck.objects.values_list("checked_at", flat=True))
    assert closing.state == CallState.UNDER_REVIEW
    assert set(closing.applications.values_list("state", flat=True)) == {
        ApplicationState.UNDER_REVIEW
    }
    assert set(demo_calls.exclude(pk=closing.pk).values_list("state", flat=True)) == {
        CallState.PUBLISHED
    }

    # The review stage: a pool, a rubric on every call, a drawn panel that accepted, and all
    # but one expert's sheets submitted.
    assert Expert.objects.count() == 14
    assert Rubric.objects.filter(call__isnull=False).count() == 6
    draw = Draw.objects.get(call=closing)
    assert draw.state == DrawState.DRAWN
    accepted = draw.invitations.filter(state=InvitationState.ACCEPTED)
    assert accepted.count() == 5
    sheets = Assignment.objects.filter(invitation__draw=draw)
    assert sheets.count() == 10
    assert sheets.filter(state=AssignmentState.SUBMITTED).count() == 8
    call_command("draw_verify", draw.pk, stdout=StringIO())

    # Applications in every formal-check state; each state change has its audit event.
    states = set(Application.objects.values_list("state", flat=True))
    assert {
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.RETURNED,
        ApplicationState.ACCEPTED,
        ApplicationState.REJECTED,
        ApplicationState.WITHDRAWN,
    } <= states
    for application in Application.objects.exclude(state=ApplicationState.DRAFT):
        trail = AuditEvent.objects.filter(
            object_type="workflow.application", object_id=str(application.pk)
        )
        assert (
            trail.filter(to_state=application.state).exclude(from_state=application.state).exists()
        )
    for state in (ApplicationState.RETURNED, ApplicationState.REJECTED):
        application = Application.objects.get(state=state)
        assert application.formal_checks.get().reason
    assert Application.objects.get(state=ApplicationState.RETURNED).correction_due

    # Attachments are real PDF files whose stored hash matches their content.
    assert Attachment.objects.count() >= 9
    for attachment in Attachment.objects.all():
        with attachment.file.open("rb") as stored:
            content = stored.read()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == attachment.sha256

    # The audit chain is intact.
    report = verify_database()
    assert report.ok, report.problem
    assert report.verified == AuditEvent.objects.count() > 0

    # Every role has a user; the superuser exists.
    for role in Role.values:
        assert Membership.objects.filter(role=role).exists(), role
    assert get_user_model().objects.get(username="admin").is_superuser
    assert get_user_model().objects.get(username="office_sx").check_password(demo.DEMO_PASSWORD)


@pytest.mark.django_db
def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("load_demo", stdout=StringIO())
    assert not Office.objects.exists()


def test_credit_codes_carry_valid_check_characters():
    code = credit_code("91", "140100", "70100635")
    assert len(code) == 18 and is_valid_credit_code(code)
    assert not is_valid_credit_code(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert not is_valid_credit_code(code[:10] + "I" + code[11:])  # I is not in the alphabet
    assert not is_valid_credit_code(code[:17])
