"""Pages: conversations."""

urlpatterns: list = []
