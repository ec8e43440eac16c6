"""API: alerts."""

urlpatterns: list = []
