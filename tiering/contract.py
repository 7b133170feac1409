"""The machine contract, models/staging/_sources.yml (source `landing`), read for Python.

The YAML declares the six landing tables of ../shared/source-contract.md once: columns, data
types, keys and rules (`config.meta`). dbt reads the same file (macros/contract.sql)."""

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import yaml

from tiering.project import PROJECT_DIR

CONTRACT_FILE = PROJECT_DIR / "models" / "staging" / "_sources.yml"
SOURCE_NAME = "landing"
MONEY = pa.decimal128(18, 2)
ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int32(),
    "decimal(18,2)": MONEY,
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "boolean": pa.bool_(),
}
DUCKDB_TYPES = {
    "text": "varchar",
    "integer": "integer",
    "decimal(18,2)": "decimal(18, 2)",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    rules: dict  # config.meta: required, optional, accepted_values, min, ...

    @property
    def optional(self) -> bool:
        return bool(self.rules.get("optional"))

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.data_type]


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def schema(self) -> pa.Schema:
        """Every column, optional ones included, as Arrow types."""
        return pa.schema([(c.name, ARROW_TYPES[c.data_type]) for c in self.columns])

    @property
    def required_schema(self) -> pa.Schema:
        """The columns every file carries (the optional ones left out)."""
        return pa.schema([(c.name, ARROW_TYPES[c.data_type]) for c in self.columns if not c.optional])


def parse_column(entry: dict, table: str) -> Column:
    data_type = str(entry.get("data_type", "")).replace(" ", "").lower()
    if data_type not in ARROW_TYPES:
        raise ValueError(
            f"{table}.{entry.get('name')}: data_type {entry.get('data_type')!r} is not one of {list(ARROW_TYPES)}"
        )
    return Column(entry["name"], data_type, dict((entry.get("config") or {}).get("meta") or {}))


def parse_contract(document: dict) -> dict[str, Table]:
    """The landing tables of a sources YAML document, in declaration order."""
    source = next((s for s in document.get("sources") or [] if s.get("name") == SOURCE_NAME), None)
    if source is None:
        raise ValueError(f"no source named {SOURCE_NAME!r}")
    tables = {}
    for entry in source.get("tables") or []:
        meta = (entry.get("config") or {}).get("meta") or {}
        columns = tuple(parse_column(c, entry["name"]) for c in entry.get("columns") or [])
        key = tuple(meta.get("key") or ())
        unknown = set(key) - {c.name for c in columns}
        if not key or unknown:
            raise ValueError(f"{entry['name']}: key {list(key)} must name declared columns")
        tables[entry["name"]] = Table(entry["name"], key, columns)
    return tables


def load_contract(path: Path = CONTRACT_FILE) -> dict[str, Table]:
    return parse_contract(yaml.safe_load(Path(path).read_text()))


TABLES: dict[str, Table] = load_contract()
