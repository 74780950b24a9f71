"""统一社会信用代码 (unified social credit code, GB 32100-2015) and its check characters."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code_check(body: str) -> str:
    """Check character of an 8-character organisation code body (GB 11714-1997)."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(authority: str, division: str, org_body: str) -> str:
    """An 18-character code: registration authority and type (2), administrative division (6),
    organisation code (8 + check) and the overall check character."""
    head = f"{authority}{division}{org_body}{_org_code_check(org_body)}"
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(head, _USCC_WEIGHTS, strict=True))
    return head + _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True for an 18-character code whose organisation-code and overall check characters hold."""
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    return credit_code(code[:2], code[2:8], code[8:16]) == code


def validate_credit_code(value: str) -> None:
    """Model-field validator: a clear message instead of a silently stored typo."""
    if value and not is_valid_credit_code(value):
        raise ValidationError(
            _(
                "“%(code)s” is not a valid unified social credit code (18 characters with a "
                "valid check character)."
            ),
            params={"code": value},
        )
