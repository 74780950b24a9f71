"""常用意见: a user keeps a short list of frequent opinions to insert into opinion and reason
fields. Personal writing aids, not decisions: nothing here is audited.

- Only the owner adds, moves and deletes its phrases; at most MAX_PHRASES_PER_USER each.
- A phrase is one line of at most MAX_PHRASE_LENGTH characters; an identical phrase is not
  added twice.
- New phrases go to the end; moving swaps a phrase with its neighbour.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from workflow.errors import Conflict, Invalid, NotPermitted
from workflow.models.phrases import MAX_PHRASE_LENGTH, MAX_PHRASES_PER_USER, FrequentPhrase
from workflow.services.base import lock


def _require_user(user: Any) -> None:
    if not (user.is_authenticated and user.is_active):
        raise NotPermitted(_("Log in to keep frequent opinions."))


def _lock_user(user: Any) -> None:
    """One writer per user at a time, so the limit and the order hold (PostgreSQL)."""
    get_user_model()._default_manager.select_for_update().get(pk=user.pk)


def _require_owner(phrase: FrequentPhrase, user: Any) -> None:
    _require_user(user)
    if phrase.user_id != user.pk:
        raise NotPermitted(_("You may change only your own frequent opinions."))


def clean_phrase(text: str | None) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise Invalid(_("Write the phrase."))
    if len(cleaned) > MAX_PHRASE_LENGTH:
        raise Invalid(
            _("A phrase has at most %(n)d characters.") % {"n": MAX_PHRASE_LENGTH},
        )
    return cleaned


def phrases_of(user: Any) -> list[FrequentPhrase]:
    """The user's phrases in their order (one query); none for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(FrequentPhrase.objects.filter(user=user).order_by("position", "id"))


def phrase_add(*, by: Any, text: str) -> FrequentPhrase:
    """Add a phrase at the end of the user's list."""
    _require_user(by)
    text = clean_phrase(text)
    with transaction.atomic():
        _lock_user(by)
        mine = FrequentPhrase.objects.filter(user=by)
        if mine.count() >= MAX_PHRASES_PER_USER:
            raise Conflict(
                _(
                    "You already keep %(n)d frequent opinions, the most allowed. Delete one "
                    "before adding another."
                )
                % {"n": MAX_PHRASES_PER_USER}
            )
        if mine.filter(text=text).exists():
            raise Invalid(_("This phrase is already in your list."))
        last = mine.aggregate(last=Max("position"))["last"]
        return FrequentPhrase.objects.create(
            user=by, text=text, position=0 if last is None else last + 1
        )


def phrase_move(*, phrase: FrequentPhrase, by: Any, up: bool) -> FrequentPhrase:
    """Swap the phrase with the one before (up) or after it; at either end nothing changes."""
    _require_user(by)
    with transaction.atomic():
        _lock_user(by)  # the user first, then the phrase: the same order everywhere
        phrase = lock(phrase)
        _require_owner(phrase, by)
        ordered = list(FrequentPhrase.objects.filter(user=by).order_by("position", "id"))
        index = next(i for i, p in enumerate(ordered) if p.pk == phrase.pk)
        other = index - 1 if up else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
            # Renumber 0..n-1: positions stay distinct even after deletions and equal values.
            changed = []
            for position, item in enumerate(ordered):
                if item.position != position:
                    item.position = position
                    changed.append(item)
            FrequentPhrase.objects.bulk_update(changed, ["position"])
            phrase = next(p for p in ordered if p.pk == phrase.pk)
    return phrase


def phrase_delete(*, phrase: FrequentPhrase, by: Any) -> None:
    _require_user(by)
    with transaction.atomic():
        _lock_user(by)
        phrase = lock(phrase)
        _require_owner(phrase, by)
        phrase.delete()
