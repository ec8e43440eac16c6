"""Pages: surveys."""

urlpatterns: list = []
