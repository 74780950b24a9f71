"""URLs of the award pages."""

urlpatterns: list = []
