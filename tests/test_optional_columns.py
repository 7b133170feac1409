"""Optional contract columns (customers: industry, employee_count, annual_revenue): files of one
delivery with and without them, CSV and Parquet, build; staging types them, null when absent;
a bad value is quarantined with its reason."""

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import copy_handmade, query

from orchestration.dbt_runner import run_dbt_build
from tiering.contract import TABLES

pytestmark = pytest.mark.fast  # the quick tier: make test-fast

# one delivery (2026-06-30) in four files: CSV with all three (columns in another order), CSV
# with industry only, typed Parquet with all three, Parquet with none (the handmade CSVs have none)
WITH_ALL_CSV = """customer_id,industry,customer_name,segment,region,created_date,employee_count,annual_revenue
C20,retail,Good Csv,smb,north,2025-01-01,12,1500000.50
C21,,Negative Staff,smb,north,2025-01-01,-3,
C22,,Cent Fraction,smb,north,2025-01-01,,1.005
C23,,Many Staff,smb,north,2025-01-01,many,
C24,,Negative Revenue,smb,north,2025-01-01,,-1.00
"""
INDUSTRY_ONLY_CSV = (
    "customer_id,customer_name,segment,region,created_date,industry\nC50,Industry Only,smb,east,2025-01-01,mining\n"
)


def customers_parquet(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("optional")
    landing = copy_handmade(root / "landing")
    folder = landing / "customers"
    (folder / "2026-06-30-a.csv").write_text(WITH_ALL_CSV)
    (folder / "2026-06-30-b.csv").write_text(INDUSTRY_ONLY_CSV)
    base = {"segment": "smb", "region": "west", "created_date": date(2025, 1, 1)}
    schema = TABLES["customers"].schema
    pq.write_table(
        customers_parquet(
            [
                {
                    **base,
                    "customer_id": "C30",
                    "customer_name": "Good Parquet",
                    "industry": "manufacturing",
                    "employee_count": 250,
                    "annual_revenue": Decimal("9999999.99"),
                },
                {**base, "customer_id": "C31", "customer_name": "Negative Parquet", "employee_count": -1},
            ],
            schema,
        ),
        folder / "2026-06-30-c.parquet",
    )
    pq.write_table(
        customers_parquet(
            [{**base, "customer_id": "C40", "customer_name": "No Optional"}], TABLES["customers"].required_schema
        ),
        folder / "2026-06-30-d.parquet",
    )
    built = root / "warehouse.duckdb"
    result = run_dbt_build(
        landing, None, built, capture=True, extra=["--select", "+int_customers", "--indirect-selection", "cautious"]
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return built


def test_staging_types_the_optional_columns(warehouse):
    types = dict(
        query(warehouse, "select column_name, data_type from duckdb_columns() where table_name = 'stg_customers'")
    )
    assert (types["industry"], types["employee_count"], types["annual_revenue"]) == (
        "VARCHAR",
        "INTEGER",
        "DECIMAL(18,2)",
    )


def test_values_are_typed_and_null_when_a_file_lacks_the_column(warehouse):
    rows = query(
        warehouse,
        """select customer_id, industry, employee_count, annual_revenue from stg_customers
           where customer_id in ('C1', 'C20', 'C30', 'C40', 'C50') order by customer_id""",
    )
    assert rows == [
        ("C1", None, None, None),  # handmade CSV without the columns
        ("C20", "retail", 12, Decimal("1500000.50")),
        ("C30", "manufacturing", 250, Decimal("9999999.99")),
        ("C40", None, None, None),  # Parquet without the columns
        ("C50", "mining", None, None),  # only one of them
    ]


def test_bad_optional_values_are_quarantined_with_their_reason(warehouse):
    rows = query(
        warehouse,
        """select customer_id, row_status, issues from int_customers__validated
           where customer_id in ('C20', 'C21', 'C22', 'C23', 'C24', 'C30', 'C31', 'C40', 'C50') order by customer_id""",
    )
    assert rows == [
        ("C20", "accepted", None),
        ("C21", "quarantined", "employee_count is negative"),
        ("C22", "quarantined", 'annual_revenue is not a valid decimal(18,2): "1.005"'),
        ("C23", "quarantined", 'employee_count is not a valid integer: "many"'),
        ("C24", "quarantined", "annual_revenue is negative"),
        ("C30", "accepted", None),
        ("C31", "quarantined", "employee_count is negative"),
        ("C40", "accepted", None),
        ("C50", "accepted", None),
    ]


def test_accepted_customers_carry_the_optional_columns(warehouse):
    assert query(warehouse, "select industry, employee_count from int_customers where customer_id = 'C20'") == [
        ("retail", 12)
    ]
