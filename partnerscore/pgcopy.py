"""Bulk PostgreSQL paths (COPY) for frames: the set-based way in and out of the database."""

import io
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db import connection


def copy_out(
    sql: str,
    params: Sequence[object] | Mapping[str, object],
    *,
    dtypes: dict[str, str] | None = None,
    parse_dates: list[str] | None = None,
) -> pd.DataFrame:
    """Run a SELECT through COPY ... TO STDOUT and read the CSV into a frame (fast path)."""
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        buffer = io.StringIO()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
    buffer.seek(0)
    return pd.read_csv(
        buffer, dtype=dtypes, parse_dates=parse_dates or False, date_format="%Y-%m-%d"
    )


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


# -- binary COPY ----------------------------------------------------------------------------
# Formatting floats as text was the slowest step of a recompute (pandas.to_csv). PostgreSQL's
# binary COPY format takes fixed-width big-endian fields, which numpy writes in one go: rows
# are grouped by their NULL pattern (and text value) so that every group has a fixed width.

_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_BINARY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_WIDTHS = {"int8": ">i8", "int4": ">i4", "float8": ">f8", "bool": "u1", "date": ">i4"}
_PG_EPOCH = np.datetime64("2000-01-01", "D")


def binary_copy_payload(frame: pd.DataFrame, types: dict[str, str]) -> bytes:
    """Rows of `frame` in COPY binary format. `types` maps each column to int8, int4, float8,
    bool, date (datetime64) or text (text: a few distinct values, e.g. a status).
    NaN/None/NaT -> NULL."""
    columns = list(types)
    null = {c: frame[c].isna().to_numpy() for c in columns}
    keys = [f"__null_{c}" for c in columns if null[c].any()]
    texts = [c for c in columns if types[c] == "text"]
    grouping = pd.DataFrame({f"__null_{c}": null[c] for c in columns if null[c].any()})
    for c in texts:
        grouping[c] = frame[c].fillna("").astype(str).to_numpy()
    chunks = [_BINARY_HEADER]
    groups = (
        grouping.groupby(keys + texts, sort=False).indices.items()
        if keys or texts
        else [((), np.arange(len(frame)))]
    )
    for key, index in groups:
        key = key if isinstance(key, tuple) else (key,)
        pattern = dict(zip(keys + texts, key, strict=True))
        chunks.append(_binary_group(frame, types, columns, np.asarray(index), pattern))
    chunks.append(_BINARY_TRAILER)
    return b"".join(chunks)


def _binary_group(
    frame: pd.DataFrame,
    types: Mapping[str, str],
    columns: list[str],
    index: npt.NDArray[np.integer[Any]],
    pattern: Mapping[str, Hashable],
) -> bytes:
    fields = [("count", ">i2")]
    for i, c in enumerate(columns):
        fields.append((f"len{i}", ">i4"))
        if pattern.get(f"__null_{c}", False):
            continue
        if types[c] == "text":
            width = len(str(pattern[c]).encode())
            if width:  # an empty string is its length (0) alone
                fields.append((f"val{i}", f"S{width}"))
        else:
            fields.append((f"val{i}", _WIDTHS[types[c]]))
    rows = np.empty(len(index), dtype=np.dtype(fields))
    rows["count"] = len(columns)
    for i, c in enumerate(columns):
        if pattern.get(f"__null_{c}", False):
            rows[f"len{i}"] = -1
        elif types[c] == "text":
            data = str(pattern[c]).encode()
            rows[f"len{i}"] = len(data)
            if data:
                rows[f"val{i}"] = data
        elif types[c] == "date":  # days since 2000-01-01
            rows[f"len{i}"] = 4
            days = frame[c].to_numpy().astype("datetime64[D]")[index]
            rows[f"val{i}"] = (days - _PG_EPOCH).astype("int64")
        else:
            rows[f"len{i}"] = np.dtype(_WIDTHS[types[c]]).itemsize
            rows[f"val{i}"] = frame[c].to_numpy()[index]
    return rows.tobytes()


def copy_in_binary(table: str, frame: pd.DataFrame, types: dict[str, str]) -> int:
    """COPY a frame into `table` in binary format (see binary_copy_payload)."""
    if frame.empty:
        return 0
    payload = io.BytesIO(binary_copy_payload(frame, types))
    names = ", ".join(f'"{name}"' for name in types)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)", payload
        )
    return len(frame)
