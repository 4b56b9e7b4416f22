"""Large reads column by column: SQLite to Arrow to pandas, with no Python object per cell.

Why: ``pandas.read_sql_query`` over ``sqlite3`` builds a Python tuple per row and a Python
object per cell before pandas stores a column, and at 100k runs Anomaly Detection reads 765k
jobs and 631k steps that way: ~4 s each of the agent's ~25 s, in code that holds the GIL (two
reads on two threads took longer than one after the other). ADBC's SQLite driver (Apache
Arrow's) steps the same statement in C and fills Arrow columns, which pandas takes as they
are: the job series in ~1 s.

The result is the frame :meth:`core.store.db.Store.frame` gives for the same query, and that
path stays the answer whenever this one cannot give it: the driver is not installed, it
refuses the statement (it guesses each column's type from its first rows, so a column whose
first rows are all NULL and then hold text is an error there), or the query returns no row (an
empty frame's column types come from ``sqlite3``). A column that holds only NULLs is given as
``sqlite3`` gives it (``None`` objects, not the driver's guessed numbers).

Each read opens its own read-only connection (a few milliseconds against reads of seconds):
nothing to share between threads or to close, and a bulk read can never write. In WAL mode it
sees what was committed when it began, as any reader does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["read_columns", "BATCH_ROWS"]

log = logging.getLogger(__name__)

# Rows the driver reads per Arrow batch, and looks at to guess each column's type: large, so
# a column NULL in its first rows (a queue time not yet known) is still typed by later ones.
BATCH_ROWS = 65_536


def read_columns(
    path: Path, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
) -> pd.DataFrame | None:
    """The rows of ``sql`` over the SQLite file at ``path`` as a DataFrame, read as Arrow
    columns; None when this path cannot answer (see the module docstring: the caller then
    reads through ``sqlite3``). ``params``: positional, or by name for ``:name`` markers."""
    try:
        import adbc_driver_sqlite.dbapi as adbc
    except ImportError:  # pragma: no cover - adbc-driver-sqlite is in requirements.txt
        return None
    try:
        connection = adbc.connect(path.resolve().as_uri() + "?mode=ro")
        try:
            cursor = connection.cursor()
            try:
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)}
                )
                cursor.adbc_prepare(sql)
                cursor.execute(sql, _positional(cursor, params))
                table = cursor.fetch_arrow_table()
            finally:
                cursor.close()
        finally:
            connection.close()
    except Exception as exc:  # noqa: BLE001 - any refusal of the driver: the sqlite3 path answers
        log.debug("columnar read refused (%s): reading through sqlite3", exc)
        return None
    if table.num_rows == 0:
        return None
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.null_count == table.num_rows:
            frame[name] = pd.Series([None] * table.num_rows, dtype=object)
    return frame


def _positional(cursor: Any, params: tuple[Any, ...] | dict[str, Any]) -> list[Any]:
    """The values in the order of the statement's parameters (the driver binds by position;
    SQLite numbers a ``:name`` once however often it appears)."""
    if not isinstance(params, dict):
        return list(params)
    import pyarrow as pa

    schema = pa.schema(cursor.adbc_statement.get_parameter_schema())
    return [params[field.name.lstrip(":@$")] for field in schema]
