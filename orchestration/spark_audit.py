"""The GX audit of a Spark build: the same suites and compared figures as on DuckDB
(orchestration/audit.py), with the marts read from the build schema through Spark SQL and
Arrow. The independent recomputation reads the landing files, as it does for DuckDB."""

from pathlib import Path

import pyarrow as pa

from orchestration import audit
from tiering.settings import Settings


def _plain_strings(table: pa.Table) -> pa.Table:
    """Spark may hand strings over as large_string; the recomputation's keys are string."""
    schema = pa.schema([f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema])
    return table.cast(schema)


class SparkResult:
    """One query's answer, fetched as a DuckDB relation is."""

    def __init__(self, frame):
        self.frame = frame

    def to_arrow_table(self) -> pa.Table:
        return _plain_strings(self.frame.toArrow())

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self.frame.collect()]

    def fetchone(self) -> tuple | None:
        rows = self.frame.take(1)
        return tuple(rows[0]) if rows else None


class SparkTables:
    """The tables of one Spark schema, queried by unqualified name as the audit does on DuckDB."""

    def __init__(self, spark, schema: str):
        self.spark, self.schema = spark, schema

    def sql(self, query: str) -> SparkResult:
        self.spark.catalog.setCurrentDatabase(self.schema)
        return SparkResult(self.spark.sql(query))


def audit_spark_build(
    spark, schema: str, build_file: Path, run_name: str, settings: Settings
) -> list[audit.AuditResult]:
    """Every GX check on the Spark build in `schema`; `build_file` names its landing inventory."""
    return audit.run_suites(
        audit.audit_frames(SparkTables(spark, schema), build_file, settings.threads), run_name, settings
    )
