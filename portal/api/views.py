"""API views: parse, check the role, call the same service as the portal, answer.

Visibility comes from workflow.access and the selectors (an object the user may not see is a
404, as in the portal); every decision goes through workflow.services, which checks the user's
right to act again and writes the audit event. Domain errors become 400 (Invalid), 403
(NotPermitted) and 409 (Conflict) with the translated message in ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from portal.forms_scoring import COMMENT_PREFIX, SCORE_PREFIX, ScoreSheetForm
from portal.security import needs_second_factor
from processes import engine
from workflow import access, selectors
from workflow.choices import ApplicationState
from workflow.errors import Conflict, DomainError, Invalid, NotPermitted
from workflow.models import Application, Assignment, Attachment, Award, Call, Organisation
from workflow.rules import scoring as scoring_rules
from workflow.rules.rubric import as_decimal
from workflow.selectors.publicity import calls_in_publicity
from workflow.selectors.scoring import RubricTree
from workflow.services import applications as application_services
from workflow.services import calls as call_services
from workflow.services import scoring as scoring_services

from . import serializers as s
from .pagination import Pagination
from .permissions import IsApplicant, IsExpert, IsOfficeMember

DOMAIN_STATUS = {
    Invalid: status.HTTP_400_BAD_REQUEST,
    NotPermitted: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain errors: nothing was changed when one is raised."""
    if isinstance(exc, DomainError):
        code = next(
            (code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)),
            status.HTTP_400_BAD_REQUEST,
        )
        return Response({"detail": exc.message, "problems": exc.problems}, status=code)
    return drf_exception_handler(exc, context)


def _valid(serializer_class: type[Serializer], request: Request) -> Serializer:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer


ERRORS = {
    400: s.ValidationErrorSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    409: s.ErrorSerializer,
}


def errors(*codes: int) -> dict[int, type[Serializer]]:
    """The documented error answers of an operation, among ERRORS."""
    return {code: ERRORS[code] for code in codes}


# A list's page that does not exist (`?page=999`) is a 404 (DRF's PageNumberPagination).
PUBLIC_LIST_ERRORS = errors(404)
# A role's list: not logged in, without the role, or a page that does not exist.
ROLE_LIST_ERRORS = errors(401, 403, 404)


@csrf_exempt  # it changes nothing; else an unsafe method gets the CSRF failure page (HTML)
def not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/ (an id that is not a number, an unknown endpoint): a JSON
    404 like every other API error, not the portal's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)


@extend_schema(
    tags=["auth"],
    request=s.TokenRequestSerializer,
    # 403: a role that needs the second factor has not enrolled one in the portal yet.
    # 429: locked out by django-axes after too many failures (portal.security.lockout_response).
    responses={
        200: s.TokenSerializer,
        400: s.ValidationErrorSerializer,
        403: s.ErrorSerializer,
        429: s.ErrorSerializer,
    },
)
class TokenObtain(ObtainAuthToken):
    """The user's API token for a username and password (created on first use). Office staff,
    directors, department approvers and superusers also give their current TOTP code
    (`otp_token`), so a token is never a way around the second factor."""

    serializer_class = s.TokenRequestSerializer

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            user = serializer.validated_data["user"]
            refusal = second_factor_refusal(user, serializer.validated_data.get("otp_token"))
            if refusal is not None:
                return refusal
            token, _created = Token.objects.get_or_create(user=user)
            return Response({"token": token.key})
        finally:
            # django-axes marks the request `authenticate` was given, which is DRF's wrapper;
            # AxesMiddleware reads Django's request, so hand the mark on for its 429.
            for name in ("axes_locked_out", "axes_credentials"):
                if name in request.__dict__:
                    setattr(request._request, name, request.__dict__[name])


def second_factor_refusal(user: Any, code: str | None) -> Response | None:
    """None when `user` may have a token; otherwise the answer that says why not."""
    if not (settings.REQUIRE_SECOND_FACTOR and needs_second_factor(user)):
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        detail = _("Enrol your second factor in the portal first, then ask for a token.")
        return Response({"detail": detail}, status=status.HTTP_403_FORBIDDEN)
    if not code or not device.verify_is_allowed()[0] or not device.verify_token(code):
        message = _("The code is wrong or has expired. Enter the current one.")
        return Response({"otp_token": [message]}, status=status.HTTP_400_BAD_REQUEST)
    return None


# Public --------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(responses={200: s.CallSerializer(many=True), **PUBLIC_LIST_ERRORS})
)
@extend_schema(tags=["public"])
class PublicCallList(generics.ListAPIView):
    """Calls that are published or later (never drafts or cancelled calls)."""

    pagination_class = Pagination
    permission_classes = (AllowAny,)
    serializer_class = s.CallSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return selectors.public_calls().order_by("-opens_at", "id")


@extend_schema_view(get=extend_schema(responses={200: s.CallSerializer, **errors(404)}))
@extend_schema(tags=["public"])
class PublicCallDetail(generics.RetrieveAPIView):
    permission_classes = (AllowAny,)
    serializer_class = s.CallSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return selectors.public_calls()


@extend_schema_view(
    get=extend_schema(responses={200: s.PublicNoticeSerializer(many=True), **PUBLIC_LIST_ERRORS})
)
@extend_schema(tags=["public"])
class PublicNoticeList(generics.ListAPIView):
    """Calls whose public notice (公示) is running, with the proposed winners: organisation
    and project title only, never scores or experts."""

    pagination_class = Pagination
    permission_classes = (AllowAny,)
    serializer_class = s.PublicNoticeSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return calls_in_publicity()


@extend_schema_view(
    get=extend_schema(responses={200: s.AwardSerializer(many=True), **PUBLIC_LIST_ERRORS})
)
@extend_schema(tags=["public"])
class AwardList(generics.ListAPIView):
    """The register of plaques (授牌), newest first, revoked ones marked as such."""

    pagination_class = Pagination
    permission_classes = (AllowAny,)
    serializer_class = s.AwardSerializer

    def get_queryset(self) -> QuerySet[Award]:
        return Award.objects.select_related("application__organisation").order_by(
            "-awarded_on", "number"
        )


# Applicant -----------------------------------------------------------------------------------


class _ApplicantView(generics.GenericAPIView):
    permission_classes = (IsApplicant,)
    serializer_class = s.ApplicationDetailSerializer

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.applicant_application_detail(self.request.user)

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=pk)
        return Response(s.ApplicationDetailSerializer(fresh).data, status=code)


@extend_schema_view(
    get=extend_schema(responses={200: s.ApplicationSerializer(many=True), **ERRORS}),
)
@extend_schema(tags=["applicant"])
class ApplicationListCreate(_ApplicantView, generics.ListAPIView):
    """The applications of the user's own organisations; POST starts a draft."""

    pagination_class = Pagination
    serializer_class = s.ApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        if self.request.method == "GET":
            return selectors.applicant_applications(self.request.user)
        return super().get_queryset()

    def _organisation(self, pk: int | None) -> Organisation:
        if pk is None:
            own = access.organisation_ids(self.request.user)
            if len(own) != 1:
                raise ValidationError(
                    {"organisation": [_("Choose the organisation you apply for.")]}
                )
            pk = next(iter(own))
        organisation = Organisation.objects.filter(pk=pk).first()
        if organisation is None:
            raise ValidationError({"organisation": [_("No organisation with this id.")]})
        return organisation

    @extend_schema(
        request=s.ApplicationCreateSerializer,
        responses={201: s.ApplicationDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = _valid(s.ApplicationCreateSerializer, request)
        data = serializer.validated_data
        call = selectors.public_calls().filter(pk=data["call"]).first()
        if call is None:
            raise ValidationError({"call": [_("No published call with this id.")]})
        application = application_services.application_create(
            call=call,
            organisation=self._organisation(data.get("organisation")),
            by=request.user,
            content=serializer.content(),
            partner_ids=data.get("partners", ()),
            funding=data.get("funding"),
        )
        return self._answer(application.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["applicant"])
class ApplicationDetail(_ApplicantView, generics.RetrieveAPIView):
    """One application of the user's organisation; PATCH changes a draft or returned one."""

    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(responses={200: s.ApplicationDetailSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.ApplicationContentSerializer,
        responses={200: s.ApplicationDetailSerializer, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        application = self.get_object()
        serializer = _valid(s.ApplicationContentSerializer, request)
        data = serializer.validated_data
        application_services.application_update(
            application=application,
            by=request.user,
            content=serializer.content(),
            partner_ids=data.get("partners"),
            funding=data.get("funding"),
        )
        return self._answer(pk)


@extend_schema(tags=["applicant"])
class ApplicationSubmit(_ApplicantView):
    """Submit a draft, or a returned application after correction (application_submit)."""

    @extend_schema(request=None, responses={200: s.ApplicationDetailSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        application_services.application_submit(application=self.get_object(), by=request.user)
        return self._answer(pk)


@extend_schema(tags=["applicant"])
class ApplicationWithdraw(_ApplicantView):
    """Withdraw a submitted, returned or accepted application before the deadline."""

    @extend_schema(
        request=s.ReasonSerializer, responses={200: s.ApplicationDetailSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        application = self.get_object()
        reason = _valid(s.ReasonSerializer, request).validated_data["reason"]
        application_services.application_withdraw(
            application=application, by=request.user, reason=reason
        )
        return self._answer(pk)


# Attachments ---------------------------------------------------------------------------------
# Reading (the list, a download) follows the portal's attachment_download: whoever may see the
# application (access.applications_visible_to: its applicant, its office once submitted, an
# expert granted it, a supervisor). Uploading and removing are the applicant's, through
# attachment_add and attachment_remove like the portal's upload form.


class _ReadOrApplicant(BasePermission):
    """Logged in for reading (the queryset decides what is visible); applicants for changes."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return bool(request.user and request.user.is_authenticated)
        return IsApplicant().has_permission(request, view)


class _AttachmentView(generics.GenericAPIView):
    permission_classes = (_ReadOrApplicant,)
    serializer_class = s.AttachmentSerializer

    def application(self) -> Application:
        """The application in the URL: visible to the user for reading, of the user's own
        organisation for a change; 404 otherwise."""
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            visible = access.applications_visible_to(self.request.user)
        else:
            visible = selectors.applicant_applications(self.request.user)
        return get_object_or_404(visible, pk=self.kwargs["pk"])


@extend_schema(tags=["applicant"])
class AttachmentListUpload(_AttachmentView, generics.ListAPIView):
    """The PDF documents of an application; POST (multipart/form-data) uploads one."""

    pagination_class = Pagination
    parser_classes = (MultiPartParser, FormParser)

    def get_queryset(self) -> QuerySet[Attachment]:
        return Attachment.objects.filter(application=self.application()).order_by(
            "kind", "uploaded_at", "id"
        )

    @extend_schema(responses={200: s.AttachmentSerializer(many=True), **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        # 415: a body that is not multipart/form-data (or a form).
        responses={201: s.AttachmentSerializer, **ERRORS, 415: s.ErrorSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = self.application()
        data = _valid(s.AttachmentUploadSerializer, request).validated_data
        try:
            attachment = application_services.attachment_add(
                application=application, kind=data["kind"], upload=data["file"], by=request.user
            )
        except Invalid as exc:  # the content or the size: about the file, as in the portal
            raise ValidationError({"file": [exc.message, *exc.problems]}) from exc
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class _JSONErrorsWhateverIsAccepted(BaseContentNegotiation):
    """A download answers with the file; its errors are JSON even to `Accept: application/pdf`
    (instead of 406)."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["applicant"])
class AttachmentDetail(_AttachmentView):
    """GET streams the PDF (to whoever may see the application, as the portal's download);
    DELETE removes it from a draft or returned application (the applicant)."""

    content_negotiation_class = _JSONErrorsWhateverIsAccepted

    def attachment(self) -> Attachment:
        application = self.application()
        return get_object_or_404(
            Attachment.objects.filter(application=application), pk=self.kwargs["attachment_pk"]
        )

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request: Request, pk: int, attachment_pk: int) -> FileResponse:
        attachment = self.attachment()
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.original_name,
            content_type="application/pdf",
        )
        add_never_cache_headers(response)
        return response

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int, attachment_pk: int) -> Response:
        application_services.attachment_remove(attachment=self.attachment(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Expert --------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(responses={200: s.AssignmentSerializer(many=True), **ROLE_LIST_ERRORS})
)
@extend_schema(tags=["expert"])
class AssignmentList(generics.ListAPIView):
    """The user's own score sheets (评审任务); void ones are left out."""

    pagination_class = Pagination
    permission_classes = (IsExpert,)
    serializer_class = s.AssignmentSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        return selectors.expert_assignments(self.request.user)


@extend_schema(tags=["expert"])
class AssignmentDetail(generics.RetrieveAPIView):
    """One own score sheet. The application summary is given only with the object permission
    to read the application; nobody else's marks, ever (blind review)."""

    permission_classes = (IsExpert,)
    serializer_class = s.AssignmentDetailSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        return selectors.expert_assignments(self.request.user)

    def get_object(self) -> Assignment:
        assignment = super().get_object()
        if not self.request.user.has_perm(selectors.SCORE_PERMISSION, assignment):
            raise Http404
        return assignment

    @extend_schema(responses={200: s.AssignmentDetailSerializer, **ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assignment = self.get_object()
        may_view = request.user.has_perm("workflow.view_application", assignment.application)
        context = {**self.get_serializer_context(), "may_view_application": may_view}
        return Response(s.AssignmentDetailSerializer(assignment, context=context).data)


# Score sheets: the portal's ScoreSheetForm checks the marks (so the errors read the same, field
# by field), the scoring services save, submit and audit them.


def _names(tree: RubricTree, indicator: Any) -> list[str]:
    """The names from the level-1 indicator down to this one."""
    names = []
    current = indicator
    while current is not None:
        names.append(current.name)
        current = tree.by_id.get(current.parent_id) if current.parent_id else None
    return names[::-1]


def _guidance(bands: Any) -> list[dict[str, Any]]:
    shown = []
    for band in bands or ():
        if isinstance(band, dict):
            shown.append(
                {
                    "from": as_decimal(band.get("from")),
                    "to": as_decimal(band.get("to")),
                    "text": str(band.get("text", "")),
                }
            )
    return shown


def _sheet_data(assignment: Assignment) -> dict[str, Any]:
    """The expert's own sheet: the rubric's expert-judged rows with this sheet's marks only."""
    application = assignment.application
    tree = selectors.call_rubric_tree(application.call)
    saved = selectors.sheet_scores(assignment)
    rows: list[dict[str, Any]] = []
    if tree is not None:
        rubric = tree.rubric
        for indicator in tree.judged:
            score = saved.get(indicator.pk)
            rows.append(
                {
                    "indicator": indicator.pk,
                    "code": indicator.code,
                    "names": _names(tree, indicator),
                    "max_score": indicator.weight,
                    "unusual_below": indicator.weight * rubric.abnormal_low_ratio,
                    "unusual_above": indicator.weight * rubric.abnormal_high_ratio,
                    "guidance": _guidance(indicator.guidance),
                    "score": score.value if score else None,
                    "comment": score.comment if score else "",
                }
            )
    marked = [row["score"] for row in rows if row["score"] is not None]
    return {
        "assignment": assignment.pk,
        "application": application.pk,
        "application_title": application.title,
        "state": assignment.state,
        "editable": assignment.state in scoring_services.OPEN_STATES
        and application.state == ApplicationState.UNDER_REVIEW,
        "submitted_at": assignment.submitted_at,
        "reopen_reason": assignment.reopen_reason,
        "rubric": tree.rubric.name if tree is not None else None,
        "total": scoring_rules.sheet_total(marked),
        "n_scored": len(marked),
        "rows": rows,
    }


class _OwnSheetView(generics.GenericAPIView):
    """The user's own sheet: assigned to them, with the object permission `score_assignment`
    the accepted invitation granted (404 otherwise, as in the portal)."""

    permission_classes = (IsExpert,)

    def get_queryset(self) -> QuerySet[Assignment]:
        return selectors.expert_assignments(self.request.user)

    def get_object(self) -> Assignment:
        assignment = super().get_object()
        if not self.request.user.has_perm(selectors.SCORE_PERMISSION, assignment):
            raise Http404
        return assignment

    def _answer(self) -> Response:
        return Response(s.ScoreSheetSerializer(_sheet_data(self.get_object())).data)

    def _checked_marks(
        self, assignment: Assignment, given: list[dict[str, Any]], *, keep: bool, submitting: bool
    ) -> dict[str, scoring_rules.Mark]:
        """Check the marks given with the portal's ScoreSheetForm; code -> Mark of those to
        write. `keep`: indicators (and a score or comment) left out keep what is saved; else
        they are cleared."""
        tree = selectors.call_rubric_tree(assignment.application.call)
        if tree is None:
            raise Invalid(_("This call has no rubric yet."))
        judged = {i.pk: i for i in tree.judged}
        data: dict[str, str] = {}
        if keep:
            for indicator_id, score in selectors.sheet_scores(assignment).items():
                if indicator_id in judged:
                    data[f"{SCORE_PREFIX}{indicator_id}"] = str(score.value)
                    data[f"{COMMENT_PREFIX}{indicator_id}"] = score.comment
        errors: dict[str, dict[str, list[str]]] = {}
        listed: set[int] = set()
        for mark in given:
            pk = mark["indicator"]
            if pk in listed:
                errors[str(pk)] = {"indicator": [_("This indicator is listed twice.")]}
            elif pk not in judged:
                known = tree.by_id.get(pk)
                errors[str(pk)] = {
                    "indicator": [
                        _("Indicator “%(code)s” is not marked by experts.") % {"code": known.code}
                        if known
                        else _("There is no indicator with this id on this score sheet.")
                    ]
                }
            listed.add(pk)
            if "score" in mark or not keep:
                score = mark.get("score")
                data[f"{SCORE_PREFIX}{pk}"] = "" if score is None else score
            if "comment" in mark or not keep:
                data[f"{COMMENT_PREFIX}{pk}"] = mark.get("comment") or ""
        if errors:
            raise ValidationError({"marks": errors})
        form = ScoreSheetForm(data, tree=tree, submitting=submitting)
        if not form.is_valid():
            for name, messages in form.errors.items():
                for prefix, field in ((SCORE_PREFIX, "score"), (COMMENT_PREFIX, "comment")):
                    if name.startswith(prefix):
                        row = errors.setdefault(name.removeprefix(prefix), {})
                        row.setdefault(field, []).extend(messages)
            raise ValidationError({"marks": errors or form.errors})
        marks = form.marks()
        if keep:
            wanted = {judged[pk].code for pk in listed}
            marks = {code: mark for code, mark in marks.items() if code in wanted}
        return marks


SHEET_ERRORS_DOC = (
    'A 400 for marks is `{"marks": {"<indicator id>": {"score": [...], "comment": '
    "[...]}}}` with the portal's messages (range, two decimals, a comment needs a score; on "
    "submission: a score missing, an unusual mark without a comment)."
)


@extend_schema(tags=["expert"])
class ScoreSheet(_OwnSheetView):
    """The expert's own score sheet: GET reads it, PUT replaces the marks (indicators left out
    are cleared), PATCH changes only the indicators listed; both save a draft
    (score_sheet_save_draft), like the portal's "save". A submitted sheet is locked (409)."""

    serializer_class = s.ScoreSheetSerializer
    http_method_names = ["get", "put", "patch", "head", "options"]

    @extend_schema(responses={200: s.ScoreSheetSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self._answer()

    def _save(self, request: Request, *, keep: bool) -> Response:
        assignment = self.get_object()
        given = _valid(s.ScoreSheetInputSerializer, request).validated_data["marks"]
        marks = self._checked_marks(assignment, given, keep=keep, submitting=False)
        scoring_services.score_sheet_save_draft(assignment=assignment, by=request.user, marks=marks)
        return self._answer()

    @extend_schema(
        request=s.ScoreSheetInputSerializer,
        responses={200: s.ScoreSheetSerializer, **ERRORS},
        description=SHEET_ERRORS_DOC,
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._save(request, keep=False)

    @extend_schema(
        request=s.ScoreSheetInputSerializer,
        responses={200: s.ScoreSheetSerializer, **ERRORS},
        description=SHEET_ERRORS_DOC,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._save(request, keep=True)


@extend_schema(tags=["expert"])
class ScoreSheetSubmit(_OwnSheetView):
    """Submit the sheet (score_sheet_submit), after saving the marks listed if any: every
    indicator needs a score, and an unusually low or high one a comment. Then it is locked."""

    serializer_class = s.ScoreSheetSerializer

    @extend_schema(
        request=s.ScoreSheetSubmitSerializer,
        responses={200: s.ScoreSheetSerializer, **ERRORS},
        description=SHEET_ERRORS_DOC,
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = self.get_object()
        given = _valid(s.ScoreSheetSubmitSerializer, request).validated_data.get("marks", [])
        marks = self._checked_marks(assignment, given, keep=True, submitting=True)
        scoring_services.score_sheet_submit(assignment=assignment, by=request.user, marks=marks)
        return self._answer()


# Office --------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(responses={200: s.OfficeCallSerializer(many=True), **ROLE_LIST_ERRORS})
)
@extend_schema(tags=["office"])
class OfficeCallList(generics.ListAPIView):
    """The calls of the user's offices, drafts included, with their counts."""

    pagination_class = Pagination
    permission_classes = (IsOfficeMember,)
    serializer_class = s.OfficeCallSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return selectors.office_calls(self.request.user)


@extend_schema(tags=["office"])
class OfficeCallTransition(generics.GenericAPIView):
    """One call transition (publish, close, start review) by the services in
    workflow.services.calls; only staff of the call's own office may."""

    permission_classes = (IsOfficeMember,)
    serializer_class = s.OfficeCallSerializer
    transition: ClassVar[str] = ""
    SERVICES: ClassVar[dict[str, Callable[..., Call]]] = {
        "publish": call_services.call_publish,
        "close": call_services.call_close,
        "start_review": call_services.call_start_review,
    }

    def get_queryset(self) -> QuerySet[Call]:
        return selectors.office_calls(self.request.user)

    @extend_schema(request=None, responses={200: s.OfficeCallSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        self.SERVICES[self.transition](call=self.get_object(), by=request.user)
        return Response(s.OfficeCallSerializer(self.get_queryset().get(pk=pk)).data)


class OfficeCallPublish(OfficeCallTransition):
    transition = "publish"


class OfficeCallClose(OfficeCallTransition):
    transition = "close"


class OfficeCallStartReview(OfficeCallTransition):
    transition = "start_review"


@extend_schema(tags=["office"])
class OfficeApplicationList(generics.ListAPIView):
    """Non-draft applications to the calls of the user's offices, oldest submission first."""

    pagination_class = Pagination
    permission_classes = (IsOfficeMember,)
    serializer_class = s.ApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        # Left out: every state. Given, it must be one (an empty `?state=` too is refused).
        state = self.request.query_params.get("state")
        if state is not None and state not in ApplicationState.values:
            raise ValidationError({"state": [_("Unknown state.")]})
        return selectors.office_queue(self.request.user, state=state)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=ApplicationState.values,
                description="Only applications in this state.",
            )
        ],
        responses={200: s.ApplicationSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["office"])
class OfficeFormalCheck(generics.GenericAPIView):
    """Formal check (形式审查): accept, return for correction or reject, with a reason (required
    to return or reject); only staff of the call's own office may."""

    permission_classes = (IsOfficeMember,)
    serializer_class = s.ApplicationSerializer
    outcome: ClassVar[str] = ""
    SERVICES: ClassVar[dict[str, Callable[..., Application]]] = {
        "accept": application_services.application_accept,
        "return": application_services.application_return,
        "reject": application_services.application_reject,
    }

    def get_queryset(self) -> QuerySet[Application]:
        return selectors.office_applications(self.request.user)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.ApplicationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        application = self.get_object()
        reason = _valid(s.ReasonSerializer, request).validated_data["reason"]
        self.SERVICES[self.outcome](application=application, by=request.user, reason=reason)
        return Response(s.ApplicationSerializer(self.get_queryset().get(pk=pk)).data)


class OfficeAccept(OfficeFormalCheck):
    outcome = "accept"


class OfficeReturn(OfficeFormalCheck):
    outcome = "return"


class OfficeReject(OfficeFormalCheck):
    outcome = "reject"


# Everyone logged in --------------------------------------------------------------------------


@extend_schema(tags=["tasks"])
class MyTasks(APIView):
    """我的待办: the user's open tasks across every flow, oldest first."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: s.InboxRowSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        rows = engine.inbox(request.user)
        return Response(s.InboxRowSerializer(rows, many=True).data)
