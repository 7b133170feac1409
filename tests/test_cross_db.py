"""The cheap half of "every model runs on DuckDB and Spark" (the Spark tier, tests/test_spark.py,
builds it): DuckDB-only SQL stays behind the dispatched macros of macros/cross_db, and each
of those has both forms."""

import re
from pathlib import Path

import pytest

from tiering.project import PROJECT_DIR

pytestmark = pytest.mark.fast

CROSS_DB = PROJECT_DIR / "macros" / "cross_db"
# DuckDB spellings Spark does not accept (or reads differently), with the macro that replaces each
DUCKDB_ONLY = {
    r"\*\s*exclude\s*\(": "star_except",
    r"\breplace\s*\(\s*[^,)]+\s+as\s": "star_replace",
    r"::\s*(varchar|text)\b": "::string",
    r"\bstring_agg\s*\(": "ordered_string_agg",
    r"\bread_(parquet|csv|text)\s*\(": "select_parquet_files / read_text_file",
    r"\bunnest\s*\(": "unnest_list / values_relation",
    r"\bquantile_disc\s*\(": "quantile_discrete",
    r"\blist\s*\(": "ordered_string_agg / one aggregate per key in list_without_nulls",
    r"\bstruct_pack\s*\(": "json_object",
    r"\barg_(min|max)\s*\(": "min_by / max_by",
    r"\b(list_contains|string_split|strftime|regexp_full_match|epoch_ns)\s*\(": "array_contains / split / format_date",
    r"\bto_(days|months|years)\s*\(": "add_months / date + n",
    r"\)\s*//\s*\(": "int_divide",
    r"\bas\s+materialized\s*\(": "materialized_cte",
    r"union\s+all\s+by\s+name": "parquet_files_with_prototype",
    r"\benum\s*\(": "enum_type",
    r"\bhash\s*\(": "hash64",
}


def sql_files() -> list[Path]:
    return sorted((PROJECT_DIR / "models").rglob("*.sql")) + sorted((PROJECT_DIR / "tests" / "dbt").rglob("*.sql"))


def without_comments(text: str) -> str:
    return re.sub(r"\{#.*?#\}|--[^\n]*", "", text, flags=re.S)


@pytest.mark.parametrize("path", sql_files(), ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_models_use_no_duckdb_only_sql(path):
    text = without_comments(path.read_text())
    found = {pattern: fix for pattern, fix in DUCKDB_ONLY.items() if re.search(pattern, text, re.I)}
    assert found == {}, f"DuckDB-only SQL (use macros/cross_db instead): {found}"


def test_yaml_types_are_spelled_for_both_engines():
    """`varchar`/`text` are DuckDB's; `string` means the same text type on both engines."""
    bad = []
    for path in [*(PROJECT_DIR / "models").rglob("*.yml"), *(PROJECT_DIR / "seeds").rglob("*.yml")]:
        if path.name == "_sources.yml":  # the contract's own words, read by macros/contract.sql
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"(data_type|^\s+\w+):\s*(varchar|text)\s*$", line):
                bad.append(f"{path.relative_to(PROJECT_DIR)}:{n}")
    assert bad == []


def dispatched_macros() -> set[str]:
    text = "".join(p.read_text() for p in CROSS_DB.glob("*.sql"))
    return set(re.findall(r"adapter\.dispatch\('(\w+)'\)", text))


def test_every_dispatched_macro_has_a_duckdb_and_a_spark_form():
    text = "".join(p.read_text() for p in (PROJECT_DIR / "macros").rglob("*.sql"))
    defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", text))
    names = dispatched_macros() | set(re.findall(r"adapter\.dispatch\('(\w+)'\)", text))
    missing = sorted(
        f"{engine}__{name}" for name in names for engine in ("duckdb", "spark") if f"{engine}__{name}" not in defined
    )
    assert names and missing == []
