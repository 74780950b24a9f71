"""Accounts: enrolling the second factor. The audit trail records it, because a decision taken
by someone who later says "that was not me" is judged by when their authenticator was set up."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from workflow import audit


def second_factor_enrol(*, device: Any, by: Any) -> Any:
    """Confirm a TOTP device whose first code was just verified, and audit it."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(action="auth.second_factor_enrolled", obj=device, by=by)
    return device
