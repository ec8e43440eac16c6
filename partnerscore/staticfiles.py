"""Static files as served in run and production modes (settings.STATIC_FILES = "collected"):
WhiteNoise's compressed, fingerprinted storage, with an error that says what to do when a file
was never collected, and a system check that says it before the first page does."""

import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import CheckMessage, Warning, register
from whitenoise.storage import CompressedManifestStaticFilesStorage

COLLECT = "run `python manage.py collectstatic --no-input` (`make run` does it when they changed)"


class MissingStaticFile(ValueError):
    """A ValueError, as Django's own: WhiteNoise asks for names that may not exist."""


class CollectedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url(self, name: str | None, force: bool = False) -> str:
        # Fingerprinted names under DEBUG too (`make run` sets it): Django's manifest storage
        # would hand out the plain name there, which WhiteNoise caches for 60 s, not a year.
        return super().url(name, force=True)

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            manifest = Path(self.location) / self.manifest_name
            if not manifest.exists():
                problem = f"static files were never collected into {self.location} ({manifest} "
                problem += "is missing)"
            else:
                problem = f"static file {name!r} is not in {manifest} (added after collectstatic?)"
            raise MissingStaticFile(f"{problem}: {COLLECT}.") from None


def _collected_names() -> set[str] | None:
    storage = CollectedStaticFilesStorage()
    return set(storage.hashed_files) if storage.read_manifest() is not None else None


def _source_files() -> dict[str, str]:
    """Every static file the finders know: its name -> its path (the first one wins)."""
    files: dict[str, str] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(None):
            prefix = getattr(storage, "prefix", None)
            name = path.replace("\\", "/")
            files.setdefault(f"{prefix}/{name}" if prefix else name, storage.path(path))
    return files


def collection_stale() -> bool:
    """True when a collectstatic is due: no manifest, a file missing from it, or a source file
    changed since (a collectstatic compresses every file again: ~30 s on a small machine)."""
    if settings.STATIC_FILES != "collected":
        return False
    manifest = Path(settings.STATIC_ROOT) / CollectedStaticFilesStorage.manifest_name
    if not manifest.exists():
        return True
    collected, collected_at = _collected_names() or set(), manifest.stat().st_mtime
    return any(
        name not in collected or os.stat(path).st_mtime > collected_at
        for name, path in _source_files().items()
    )


@register()
def static_files_collected(app_configs, **kwargs) -> list[CheckMessage]:
    """Every static file of the source folders is in the manifest (a Warning, not an Error:
    management commands that render no page, migrate included, still run)."""
    if settings.STATIC_FILES != "collected":
        return []
    collected = _collected_names()
    if collected is None:
        return [
            Warning(
                f"Static files are not collected into {settings.STATIC_ROOT}: pages will fail.",
                hint=COLLECT,
                id="partnerscore.W001",
            )
        ]
    missing = sorted(set(_source_files()) - collected)
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return [
            Warning(
                f"{len(missing)} static file(s) are not collected: {', '.join(missing[:5])}{more}.",
                hint=COLLECT,
                id="partnerscore.W002",
            )
        ]
    return []
