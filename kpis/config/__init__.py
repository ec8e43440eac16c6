"""Configuration as code: the scoring set-up as one YAML file (manage.py export_config and
import_config).

export.py  the database -> plain data -> YAML, in a stable order (round-trips byte for byte)
load.py    YAML -> validated, applied all or nothing (or only counted, for a dry run)

What the file holds: partner types, regions, KPIs, periods, scoring models with their versions
(settings, lines, tiers and their requirements) and the recompute schedules (django-celery-beat).
It never holds partners, metric values, scorecards or users."""

from kpis.config.export import FORMAT, config_as_data, config_export
from kpis.config.load import MAX_BYTES, ConfigInvalid, ConfigReport, config_import

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "ConfigInvalid",
    "ConfigReport",
    "config_as_data",
    "config_export",
    "config_import",
]
