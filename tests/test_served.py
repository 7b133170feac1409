"""What BI tools see: the served file the pipeline publishes holds only plain-typed columns, an
as_of_date on every public mart, and every column reflects to a known SQLAlchemy type over a
read-only connection (the recipe of docs/bi.md)."""

import shutil

import duckdb
import pytest
import sqlalchemy
from conftest import HANDMADE_AS_OF
from sqlalchemy.types import NullType

from orchestration import publish as pub
from tiering.settings import MART_FOLDER_SCHEMAS, PUBLIC_MARTS, Settings

pytestmark = pytest.mark.fast
AS_OF = HANDMADE_AS_OF.isoformat()
SCHEMAS = sorted(set(MART_FOLDER_SCHEMAS.values()))
NESTED = ("MAP(", "STRUCT(", "UNION(", "JSON")


@pytest.fixture(scope="module")
def served(handmade_warehouse, tmp_path_factory):
    """The served file `publish` writes from an audited build of the handmade landing."""
    root = tmp_path_factory.mktemp("served")
    p = Settings(home=root, landing_dir=root / "landing", served_file=root / "served" / "warehouse.duckdb")
    p.build_file(AS_OF).parent.mkdir(parents=True)
    shutil.copy(handmade_warehouse, p.build_file(AS_OF))
    pub.stamp_build(p.build_file(AS_OF), "served-test")
    pub.write_verdict(p, AS_OF, pub.build_identity(p.build_file(AS_OF)), [], {"compared_with": None, "breaches": []})
    pub.publish(p, AS_OF)
    return p.served_file


def columns(served_file) -> list[tuple[str, str, str, str]]:
    with duckdb.connect(str(served_file), read_only=True) as con:
        return con.sql(
            """select table_schema, table_name, column_name, data_type from information_schema.columns
               where table_catalog = current_database() order by all"""
        ).fetchall()


def nested(data_type: str) -> bool:
    """MAP, STRUCT, UNION, JSON, LIST (T[]) or ARRAY (T[n])."""
    return data_type.upper().startswith(NESTED) or data_type.endswith("]")


def test_nested_types_are_recognised():
    assert [nested(t) for t in ("MAP(VARCHAR, VARCHAR)", "STRUCT(a INTEGER)", "VARCHAR[]", "INTEGER[3]", "JSON")] == [
        True
    ] * 5
    assert not any(nested(t) for t in ("VARCHAR", "DECIMAL(38,4)", "DATE", "BIGINT", "DOUBLE", "BOOLEAN"))


def test_served_file_holds_exactly_the_public_marts(served):
    assert sorted({c[1] for c in columns(served)}) == sorted(PUBLIC_MARTS)


def test_no_public_mart_has_a_nested_column(served):
    assert [c for c in columns(served) if nested(c[3])] == []


def test_every_public_mart_has_an_as_of_date(served):
    dated = {c[1] for c in columns(served) if c[2] == "as_of_date" and c[3] == "DATE"}
    assert sorted(set(PUBLIC_MARTS) - dated) == []


@pytest.mark.parametrize("read_only", ["uri", "connect_args"])
def test_every_served_column_reflects_to_a_known_sqlalchemy_type(served, read_only):
    """The SQLAlchemy recipe of docs/bi.md (Superset): read-only by the URI's access_mode or by
    connect_args; every table of the four schemas reflects, no column as NullType, no write."""
    if read_only == "uri":
        engine = sqlalchemy.create_engine(f"duckdb:///{served}?access_mode=read_only")
    else:
        engine = sqlalchemy.create_engine(f"duckdb:///{served}", connect_args={"read_only": True})
    try:
        inspector = sqlalchemy.inspect(engine)
        reflected = {
            (schema, table): inspector.get_columns(table, schema=schema)
            for schema in SCHEMAS
            for table in inspector.get_table_names(schema=schema)
        }
        assert sorted(t for _, t in reflected) == sorted(PUBLIC_MARTS)
        unknown = [
            (s, t, c["name"]) for (s, t), cols in reflected.items() for c in cols if isinstance(c["type"], NullType)
        ]
        assert unknown == []
        with engine.connect() as con, pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            con.execute(sqlalchemy.text("create table marts.scratch (x integer)"))
    finally:
        engine.dispose()
