"""公示 and 异议: the public notice page, the public objection form, the office's answers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflow.errors import DomainError, Invalid
from workflow.models.publicity import ObjectionState
from workflow.selectors import publicity as selectors
from workflow.services.publicity import objection_dismiss, objection_file, objection_uphold

from ..forms_publicity import ObjectionAnswerForm, ObjectionForm
from .common import add_form_errors, office_required, paginate, report


def publicity_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.calls_in_publicity())
    return render(request, "portal/publicity/list.html", {"page": page, "calls": page.object_list})


def objection_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: anyone may object in writing to a proposed winner during the notice."""
    application = selectors.objectionable_application(pk)
    if application is None:
        raise Http404
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            objection_file(
                application=application,
                by=request.user,
                objector_kind=data["objector_kind"],
                facts=data["facts"],
                organisation_name=data["organisation_name"],
                letter=data["letter"],
                person_name=data["person_name"],
                phone=data["phone"],
                id_number=data["id_number"],
                email=data["email"],
            )
        except Invalid as exc:
            add_form_errors(form, exc)
        except DomainError as exc:
            report(request, exc)
            return redirect("portal:publicity_list")
        else:
            messages.success(
                request,
                _("Your objection is received. The office will answer within 3 working days."),
            )
            return redirect("portal:publicity_list")
    return render(
        request, "portal/publicity/objection_form.html", {"application": application, "form": form}
    )


@office_required
def office_objection_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.office_objections(request.user))
    for objection in page.object_list:
        # One answer form per open objection, with ids that do not clash on the page.
        objection.answer_form = ObjectionAnswerForm(auto_id=f"id_{objection.pk}_%s")
    context = {"page": page, "objections": page.object_list, "states": ObjectionState}
    return render(request, "portal/publicity/office_objections.html", context)


@office_required
@require_POST
def office_objection_answer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(selectors.office_objections(request.user), pk=pk)
    form = ObjectionAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and write the answer."))
        return redirect("portal:office_objection_list")
    data = form.cleaned_data
    try:
        if data["decision"] == "uphold":
            objection_uphold(
                objection=objection, by=request.user, answer=data["answer"], outcome=data["outcome"]
            )
        else:
            objection_dismiss(objection=objection, by=request.user, answer=data["answer"])
    except DomainError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The answer is recorded."))
    return redirect("portal:office_objection_list")
