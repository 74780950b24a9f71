from django import template
from django.http import HttpRequest

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def notifications_badge(context) -> dict:
    """The header link with the unread count, and what the script needs to go live."""
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, **selectors.badge(user)}
