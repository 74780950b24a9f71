"""常用意见: every logged-in user keeps its own frequent opinions under my/phrases/."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from workflow.errors import DomainError, Invalid
from workflow.models.phrases import MAX_PHRASE_LENGTH, MAX_PHRASES_PER_USER, FrequentPhrase
from workflow.services.phrases import phrase_add, phrase_delete, phrase_move, phrases_of

from .common import add_form_errors, report


class PhraseForm(forms.Form):
    text = forms.CharField(
        label=_("New phrase"),
        max_length=MAX_PHRASE_LENGTH,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("One line, at most 200 characters."),
    )


def _own(request: HttpRequest, pk: int) -> FrequentPhrase:
    """The user's own phrase; anyone else's does not exist for them (404)."""
    return get_object_or_404(FrequentPhrase.objects.filter(user=request.user), pk=pk)


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the user came from (e.g. an opinion form), if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("portal:phrase_list")


@login_required
def phrase_list(request: HttpRequest) -> HttpResponse:
    form = PhraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phrase_add(by=request.user, text=form.cleaned_data["text"])
        except Invalid as exc:
            add_form_errors(form, exc, "text")
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:phrase_list")
        else:
            messages.success(request, _("The phrase is added."))
            return _back(request)
    phrases = phrases_of(request.user)
    context = {
        "form": form,
        "phrases": phrases,
        "limit": MAX_PHRASES_PER_USER,
        "full": len(phrases) >= MAX_PHRASES_PER_USER,
        "next": request.GET.get("next", ""),
    }
    return render(request, "portal/phrases/list.html", context)


@login_required
@require_POST
def phrase_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    phrase = _own(request, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose whether to move the phrase up or down."))
        return redirect("portal:phrase_list")
    try:
        phrase_move(phrase=phrase, by=request.user, up=direction == "up")
    except DomainError as exc:
        report(request, exc)
    return redirect("portal:phrase_list")


@login_required
@require_POST
def phrase_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    phrase = _own(request, pk)
    try:
        phrase_delete(phrase=phrase, by=request.user)
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The phrase is deleted."))
    return redirect("portal:phrase_list")
