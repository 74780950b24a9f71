"""URLs of the tolerance pages."""

urlpatterns: list = []
