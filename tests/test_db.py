"""The pipeline's DuckDB connections (tiering.db)."""

import re

import pytest

from tiering import db
from tiering.project import PROJECT_DIR

pytestmark = pytest.mark.fast

DIRECT_CONNECT = re.compile(r"\bduckdb\.connect\(")


def test_a_connection_draws_no_progress_bar_and_keeps_its_config(tmp_path):
    with db.connect(tmp_path / "x.duckdb", config={"threads": 1, "memory_limit": "1GB"}) as con:
        con.execute("create table t as select 1 as n")
        bar, threads = con.sql("select current_setting('enable_progress_bar'), current_setting('threads')").fetchone()
        assert (bar, threads) == (False, 1)
    with db.connect(tmp_path / "x.duckdb", read_only=True) as con:
        assert con.sql("select n from t").fetchall() == [(1,)]


def test_the_pipeline_opens_duckdb_only_through_tiering_db():
    files = sorted((PROJECT_DIR / "orchestration").rglob("*.py")) + sorted((PROJECT_DIR / "tiering").glob("*.py"))
    direct = [
        str(f.relative_to(PROJECT_DIR)) for f in files if f.name != "db.py" and DIRECT_CONNECT.search(f.read_text())
    ]
    assert direct == []
