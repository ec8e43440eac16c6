from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        # Django stamps last_login with user.save(), which the audit trail would record as a
        # version of the user at every sign-in. Stamp it with an UPDATE instead (not audited).
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from partners.events import on_sign_in_failed, on_signed_in

        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(stamp_last_login, dispatch_uid="partners_stamp_last_login")
        # Every sign-in and failed one is an access event (partners/events.py).
        user_logged_in.connect(on_signed_in, dispatch_uid="partners_signed_in")
        user_login_failed.connect(on_sign_in_failed, dispatch_uid="partners_sign_in_failed")


def stamp_last_login(sender, user, **kwargs) -> None:
    from django.utils import timezone

    user.last_login = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=user.last_login)
