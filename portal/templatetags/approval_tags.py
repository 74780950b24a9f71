"""Template helpers of the approval aids (issue 8): the user's 常用意见 and an item's opinions."""

from __future__ import annotations

from typing import Any

from django import template

from workflow.models.phrases import FrequentPhrase
from workflow.selectors.opinions import Opinion, opinion_history
from workflow.services.phrases import phrases_of

register = template.Library()


@register.simple_tag(takes_context=True)
def user_phrases(context: template.Context) -> list[FrequentPhrase]:
    """{% user_phrases as phrases %}: the current user's frequent opinions, read in one query
    per request however many forms on the page include them."""
    request = context.get("request")
    if request is None:
        return []
    cached = getattr(request, "_frequent_phrases", None)
    if cached is None:
        cached = phrases_of(request.user)
        request._frequent_phrases = cached
    return cached


@register.simple_tag
def opinions_of(obj: Any) -> list[Opinion]:
    """{% opinions_of application as opinions %}: the item's opinion history (one query)."""
    return opinion_history(obj)
