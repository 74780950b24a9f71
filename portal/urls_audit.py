"""URLs of the audit trail browser and evidence bundles (supervisors)."""

from django.urls import path, re_path

from portal.views import audit

urlpatterns = [
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("audit/<int:sequence>/", audit.audit_detail, name="audit_detail"),
    # audit/evidence/application/<pk>.zip and audit/evidence/case/<pk>.zip (a ToleranceCase)
    re_path(
        r"^audit/evidence/(?P<kind>application|case)/(?P<pk>[0-9]{1,18})\.zip$",
        audit.evidence_bundle,
        name="audit_evidence_bundle",
    ),
]
