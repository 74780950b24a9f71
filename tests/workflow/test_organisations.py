import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import OfficeFactory, OrganisationFactory, UserFactory
from workflow.choices import Role
from workflow.models import Membership, Organisation
from workflow.rules.credit_code import credit_code, is_valid_credit_code, validate_credit_code


@pytest.mark.django_db
@pytest.mark.parametrize("unit", ["organisation", "office"])
def test_the_same_membership_cannot_be_saved_twice(unit):
    user = UserFactory()
    target = OrganisationFactory() if unit == "organisation" else OfficeFactory()
    Membership.objects.create(user=user, role=Role.APPLICANT, **{unit: target})
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.APPLICANT, **{unit: target})


@pytest.mark.django_db
def test_membership_needs_exactly_one_unit():
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=UserFactory(),
            role=Role.OFFICE_STAFF,
            office=OfficeFactory(),
            organisation=OrganisationFactory(),
        )


def test_credit_code_check_characters():
    assert is_valid_credit_code("91110108551385082Q")
    code = credit_code("91", "140100", "70100635")
    assert is_valid_credit_code(code)
    assert not is_valid_credit_code(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert not is_valid_credit_code("short")
    with pytest.raises(ValidationError):
        validate_credit_code("91110108551385082A")


@pytest.mark.django_db
def test_blank_credit_codes_are_stored_as_null():
    for name in ("甲", "乙"):
        org = Organisation(
            name=name,
            applicant_type="park",
            region="太原市",
            legal_representative="张三",
            credit_code="  ",
        )
        org.full_clean()
        org.save()
    assert Organisation.objects.filter(credit_code__isnull=True).count() == 2
