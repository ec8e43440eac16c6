from django.apps import AppConfig


class PartnerscoreConfig(AppConfig):
    """The wiring's app (no models): the seed_demo command and the static files check."""

    name = "partnerscore"

    def ready(self) -> None:
        from partnerscore import staticfiles  # noqa: F401  (registers its system check)
