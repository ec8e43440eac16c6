#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerscore.settings")
    if os.environ.get("PARTNERSCORE_PRODUCTION", "").lower() not in {"1", "true", "yes"}:
        # Development: without DATABASE_URL / REDIS_URL, start or join the embedded servers.
        from partnerscore import embedded

        embedded.ensure_services()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
