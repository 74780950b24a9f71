"""URLs of the performance pages."""

urlpatterns: list = []
