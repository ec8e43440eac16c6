"""The feedback app's admin, one module per concept."""

from feedback.admin import alerts, conversations, surveys  # noqa: F401
