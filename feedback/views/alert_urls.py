"""Pages: alerts."""

urlpatterns: list = []
