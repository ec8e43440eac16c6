"""The import feature, in one package, readers at the bottom:

readers.py        CSV chunks with line numbers, .xlsx -> CSV, import profiles
rules.py          what makes a metric value acceptable (file import and API alike)
results.py        RowError, ImportFailed, ImportResult
metric_values.py  validate -> stage (COPY) -> one upsert -> request a recompute
partners.py       the partner list import (code, name, type, region, manager)
jobs.py           browser imports: upload -> check (preview) -> confirm -> import, as
                  Celery tasks (kpis/tasks.py) with progress on the job row
"""

from kpis.imports.metric_values import metric_values_import, metric_values_upsert
from kpis.imports.partners import partners_import, partners_upsert
from kpis.imports.results import (
    API_FIELD_OF,
    API_FIELDS,
    COLUMNS,
    MAX_ERRORS,
    ImportFailed,
    ImportResult,
    RowError,
)

__all__ = [
    "API_FIELD_OF",
    "API_FIELDS",
    "COLUMNS",
    "MAX_ERRORS",
    "ImportFailed",
    "ImportResult",
    "RowError",
    "metric_values_import",
    "metric_values_upsert",
    "partners_import",
    "partners_upsert",
]
