"""Bulk PostgreSQL paths (COPY) for frames: the set-based way in and out of the database."""

import io

import pandas as pd
from django.db import connection


def copy_out(
    sql: str, params: list, *, dtypes: dict | None = None, parse_dates: list[str] | None = None
) -> pd.DataFrame:
    """Run a SELECT through COPY ... TO STDOUT and read the CSV into a frame (fast path)."""
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        buffer = io.StringIO()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
    buffer.seek(0)
    return pd.read_csv(buffer, dtype=dtypes, parse_dates=parse_dates or False)


def copy_in(table: str, frame: pd.DataFrame, *, force_not_null: tuple[str, ...] = ()) -> int:
    """COPY a frame's columns into `table` (column names = frame columns). NaN/None -> NULL,
    except in `force_not_null` columns where an empty value is the empty string."""
    if frame.empty:
        return 0
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
    buffer.seek(0)
    columns = ", ".join(f'"{name}"' for name in frame.columns)
    options = "FORMAT csv"
    if force_not_null:
        options += ", FORCE_NOT_NULL (" + ", ".join(f'"{c}"' for c in force_not_null) + ")"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH ({options})", buffer)
    return len(frame)
