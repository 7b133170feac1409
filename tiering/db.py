"""DuckDB connections of the pipeline (orchestration/ and tiering/; the dev tools open their own)."""

from collections.abc import Mapping
from pathlib import Path

import duckdb


def connect(
    database: str | Path = ":memory:", read_only: bool = False, config: Mapping | None = None
) -> duckdb.DuckDBPyConnection:
    """duckdb.connect without the progress bar DuckDB prints on stdout for a query over 2 s (it
    would land in a night's output and log); `config` cannot switch it off (not a global option)."""
    con = duckdb.connect(str(database), read_only=read_only, config=dict(config or {}))
    con.execute("set enable_progress_bar = false")
    return con


def sql_string(value: object) -> str:
    """`value` (a path, a date, text) as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
