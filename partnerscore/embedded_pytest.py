"""pytest plugin (loaded with `-p partnerscore.embedded_pytest`, see pyproject.toml): the test
entry point starts the embedded servers when DATABASE_URL / REDIS_URL are not set. It runs at
import, before pytest-django reads the settings."""

from partnerscore import embedded

embedded.ensure_services()
