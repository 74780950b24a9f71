"""The operations that run in the background: expert import, expert pool export, ranking
exports and the batch of award certificates. Each checks permission through the same rules as
the pages, at enqueue and again at run time (jobs.services.job_run)."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.registry import JobKind, Outcome, Progress, register
from workflow import access, certificates, exports, selectors
from workflow.choices import ApplicationState, Role
from workflow.errors import Invalid, NotPermitted
from workflow.experts_excel import BadWorkbook, parse_workbook
from workflow.models import Award, Call
from workflow.services import award as award_svc
from workflow.services.experts import (
    IMPORT_MAX_BYTES,
    experts_export,
    experts_import,
    require_pool_manager,
)
from workflow.services.ranking import ranking_compute

EXPERT_IMPORT = "expert_import"
EXPERT_EXPORT = "expert_export"
RANKING_EXPORT = "ranking_export"
CERTIFICATES = "award_certificates"
REGISTER_EXPORT = "register_export"

CERTIFICATE_ROLES = (Role.OFFICE_STAFF, Role.OFFICE_DIRECTOR)
RANKING_VARIANTS = ("public", "sheets")


def _int(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("The request is incomplete; start the operation again.")) from None
    if not 0 < number < 2**31:
        raise Invalid(_("The request is incomplete; start the operation again."))
    return number


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


# The expert pool --------------------------------------------------------------------------


def _pool_check(user: Any, params: dict[str, Any]) -> None:
    require_pool_manager(user)


def check_expert_workbook(data: bytes) -> None:
    """What the import page checks before queueing: the file is an expert sheet with rows.
    The rows themselves are checked by the import, which reports each bad one."""
    if len(data) > IMPORT_MAX_BYTES:
        raise Invalid(
            _("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(IMPORT_MAX_BYTES)}
        )
    try:
        sheet = parse_workbook(data)
    except BadWorkbook as exc:
        raise Invalid(str(exc)) from exc
    if not sheet.rows:
        raise Invalid(_("The sheet has no experts in it."))


def _import_run(job: Any, progress: Progress) -> Outcome:
    with job.upload.open("rb") as upload:
        data = upload.read()
    report = experts_import(workbook_bytes=data, by=job.owner, progress=progress)
    message = _(
        "%(created)d added, %(updated)d updated, %(unchanged)d unchanged, %(errors)d not imported."
    ) % {
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "errors": len(report.errors),
    }
    return Outcome(report=dataclasses.asdict(report), message=message)


def _export_run(job: Any, progress: Progress) -> Outcome:
    progress(0, 1)
    data = experts_export(by=job.owner)
    return Outcome(content=data, filename=f"专家库-{timezone.localdate():%Y%m%d}.xlsx")


register(
    JobKind(
        EXPERT_IMPORT,
        gettext_lazy("Expert import"),
        _pool_check,
        _import_run,
        back=lambda params: reverse("portal:expert_pool_import"),
    )
)
register(
    JobKind(
        EXPERT_EXPORT,
        gettext_lazy("Expert pool export"),
        _pool_check,
        _export_run,
        back=lambda params: reverse("portal:expert_pool"),
    )
)


# The ranking of a call --------------------------------------------------------------------


def _ranking_call(user: Any, params: dict[str, Any]) -> Call:
    if params.get("variant") not in RANKING_VARIANTS:
        raise Invalid(_("The request is incomplete; start the operation again."))
    call = selectors.review_calls(user).filter(pk=_int(params.get("call"))).first()
    if call is None:
        raise NotPermitted(_("Only members of the call's office may export its ranking."))
    return call


def _ranking_check(user: Any, params: dict[str, Any]) -> None:
    _ranking_call(user, params)


def _ranking_run(job: Any, progress: Progress) -> Outcome:
    call = _ranking_call(job.owner, job.params)
    progress(0, 2)
    result = ranking_compute(call=call)
    progress(1, 2)
    if job.params["variant"] == "public":
        data, name = exports.ranking_public_workbook(result), "ranking-public"
    else:
        sheets = selectors.call_score_sheets(call)
        data, name = exports.score_sheets_workbook(result, sheets), "score-sheets"
    return Outcome(content=data, filename=f"call-{call.pk}-{name}-{_stamp()}.xlsx")


register(
    JobKind(
        RANKING_EXPORT,
        gettext_lazy("Ranking export"),
        _ranking_check,
        _ranking_run,
        back=lambda params: reverse("portal:office_ranking", args=[params["call"]]),
    )
)


# The application register of a call ------------------------------------------------------


def _register_call(user: Any, params: dict[str, Any]) -> Call:
    call = access.calls_managed_by(user).filter(pk=_int(params.get("call"))).first()
    if call is None:
        raise NotPermitted(_("Only members of the call's office may export its register."))
    return call


def _register_check(user: Any, params: dict[str, Any]) -> None:
    _register_call(user, params)


def _register_run(job: Any, progress: Progress) -> Outcome:
    """申报登记表: every application that is not a draft, as the direct download makes it."""
    call = _register_call(job.owner, job.params)
    progress(0, 1)
    applications = (
        call.applications.exclude(state=ApplicationState.DRAFT)
        .select_related("organisation")
        .prefetch_related("funding")
        .order_by("submitted_at", "pk")
    )
    data = exports.application_register_workbook(call, applications)
    return Outcome(content=data, filename=f"call-{call.pk}-register-{_stamp()}.xlsx")


register(
    JobKind(
        REGISTER_EXPORT,
        gettext_lazy("Application register export"),
        _register_check,
        _register_run,
        back=lambda params: reverse("portal:office_call_detail", args=[params["call"]]),
    )
)


# Award certificates -------------------------------------------------------------------------


def _office_awards(user: Any, params: dict[str, Any]):
    office = _int(params.get("office"))
    if office not in access.office_ids(user, CERTIFICATE_ROLES):
        raise NotPermitted(
            _("Only the staff and directors of the office may download its certificates.")
        )
    return (
        Award.objects.filter(application__call__office_id=office)
        .select_related("application__organisation", "application__call__office")
        .order_by("awarded_on", "number", "pk")
    )


def _certificates_check(user: Any, params: dict[str, Any]) -> None:
    if not _office_awards(user, params).exists():
        raise Invalid(_("The office has not awarded any plaque yet."))


def _certificates_run(job: Any, progress: Progress) -> Outcome:
    """Every certificate regenerated from the content recorded at its award, and checked
    against the SHA-256 recorded then; the manifest says which matched."""
    awards = list(_office_awards(job.owner, job.params))
    if not awards:
        raise Invalid(_("The office has not awarded any plaque yet."))
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(
        [
            _("File"),
            _("Plaque number"),
            _("Organisation"),
            _("Project"),
            _("Awarded on"),
            _("State"),
            _("SHA-256"),
            _("SHA-256 recorded at the award"),
            _("Check"),
        ]
    )
    out = io.BytesIO()
    mismatches = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, award in enumerate(awards):
            progress(done, len(awards))
            content = award_svc.certificate_content(award)
            pdf = certificates.certificate_pdf(content)
            digest = certificates.sha256(pdf)
            if not award.certificate_sha256:
                check = _("not recorded")
            elif digest == award.certificate_sha256:
                check = _("identical to the certificate issued")
            else:
                check = _("DIFFERS from the certificate issued")
                mismatches += 1
            name = f"certificate-{award.pk}.pdf"
            archive.writestr(name, pdf)
            writer.writerow(
                [
                    name,
                    content.number,
                    content.organisation,
                    content.project,
                    content.awarded_on,
                    award.get_state_display(),
                    digest,
                    award.certificate_sha256,
                    check,
                ]
            )
        # UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese.
        archive.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
    message = (
        _("%(count)d certificates; %(bad)d differ from the ones issued.")
        % {"count": len(awards), "bad": mismatches}
        if mismatches
        else _("%(count)d certificates, each identical to the one issued.") % {"count": len(awards)}
    )
    return Outcome(content=out.getvalue(), filename=f"certificates-{_stamp()}.zip", message=message)


register(
    JobKind(
        CERTIFICATES,
        gettext_lazy("Award certificates (ZIP)"),
        _certificates_check,
        _certificates_run,
        back=lambda params: reverse("portal:office_acceptance_list"),
    )
)
