"""API tokens that expire (DRF's tokens never do). A token older than API_TOKEN_HOURS is
refused and deleted; asking /api/v1/auth/token/ again issues a fresh one (api_urls.py).
Failed sign-ins there are counted by django-axes like any other (AUTHENTICATION_BACKENDS)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expired(token: Token) -> bool:
    return token.created < timezone.now() - dt.timedelta(hours=settings.API_TOKEN_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(
                "The token has expired; ask /api/v1/auth/token/ for a new one."
            )
        return user, token
