"""URLs of the audit trail browser and evidence bundles (supervisors)."""

urlpatterns: list = []
