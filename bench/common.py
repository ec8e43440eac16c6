"""What both benchmarks need: the project on sys.path and a fresh database to work in."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerscore.settings")


def fresh_database(name: str) -> None:
    """Point DATABASE_URL at a new, empty database `name` on the same server (DATABASE_URL's,
    else the embedded one). Call before django.setup()."""
    import psycopg2

    from partnerscore import embedded

    url = os.environ.get("DATABASE_URL") or embedded.postgres_url()
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    conn.close()
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
