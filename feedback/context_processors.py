"""The unread-alerts badge of the header (base.html): one COUNT on the (user, read_at) index,
made only when a page renders the badge, and at most once per request."""

from django.utils.functional import SimpleLazyObject

from feedback.models import Alert


def unread_count(request) -> int:
    if not hasattr(request, "_unread_alerts"):
        request._unread_alerts = Alert.objects.filter(
            user=request.user, read_at__isnull=True
        ).count()
    return request._unread_alerts


def alerts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_alerts": SimpleLazyObject(lambda: unread_count(request))}
