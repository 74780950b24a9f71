"""API views: parse, check the role, call the same service as the portal, answer.

Visibility comes from workflow.access and the selectors (an object the user may not see is a
404, as in the portal); every decision goes through workflow.services, which checks the user's
right to act again and writes the audit event. Domain errors become 400 (Invalid), 403
(NotPermitted) and 409 (Conflict) with the translated message in ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from processes import engine
from workflow import access, selectors
from workflow.choices import ApplicationState
from workflow.errors import Conflict, DomainError, Invalid, NotPermitted
from workflow.models import Application, Assignment, Award, Call, Organisation
from workflow.selectors.publicity import calls_in_publicity
from workflow.services import applications as application_services
from workflow.services import calls as call_services

from . import serializers as s
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
    400: s.ErrorSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    409: s.ErrorSerializer,
}


# Public --------------------------------------------------------------------------------------


@extend_schema(tags=["public"])
class PublicCallList(generics.ListAPIView):
    """Calls that are published or later (never drafts or cancelled calls)."""

    permission_classes = (AllowAny,)
    serializer_class = s.CallSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return selectors.public_calls().order_by("-opens_at", "id")


@extend_schema(tags=["public"])
class PublicCallDetail(generics.RetrieveAPIView):
    permission_classes = (AllowAny,)
    serializer_class = s.CallSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return selectors.public_calls()


@extend_schema(tags=["public"])
class PublicNoticeList(generics.ListAPIView):
    """Calls whose public notice (公示) is running, with the proposed winners: organisation
    and project title only, never scores or experts."""

    permission_classes = (AllowAny,)
    serializer_class = s.PublicNoticeSerializer

    def get_queryset(self) -> QuerySet[Call]:
        return calls_in_publicity()


@extend_schema(tags=["public"])
class AwardList(generics.ListAPIView):
    """The register of plaques (授牌), newest first, revoked ones marked as such."""

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


# Expert --------------------------------------------------------------------------------------


@extend_schema(tags=["expert"])
class AssignmentList(generics.ListAPIView):
    """The user's own score sheets (评审任务); void ones are left out."""

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


# Office --------------------------------------------------------------------------------------


@extend_schema(tags=["office"])
class OfficeCallList(generics.ListAPIView):
    """The calls of the user's offices, drafts included, with their counts."""

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

    permission_classes = (IsOfficeMember,)
    serializer_class = s.ApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        state = self.request.query_params.get("state") or None
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
