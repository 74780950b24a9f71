"""URLs of the landing pages."""

urlpatterns: list = []
