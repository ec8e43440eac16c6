"""pytest plugin (loaded with `-p partnerscore.embedded_pytest`, see pyproject.toml): the test
entry point starts the embedded servers when DATABASE_URL / REDIS_URL are not set. It runs at
import, before pytest-django reads the settings. Tests serve static files from their source
folders (no collectstatic needed; tests/browser/test_page_weight.py collects its own)."""

import os

from partnerscore import embedded

os.environ.setdefault("STATIC_FILES", "source")

embedded.ensure_services()
