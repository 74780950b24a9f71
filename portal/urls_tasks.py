"""URLs of the tasks pages."""

urlpatterns: list = []
