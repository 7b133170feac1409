"""The semantic layer: MetricFlow's answers equal direct SQL on the marts (money exactly, as
DECIMAL), shares follow part / |total|, and the `mf` command answers as docs/semantic-layer.md shows.

MetricFlow writes the SQL (its engine's explain, DuckDB dialect); the test runs it on a
read-only connection, so the figures are the exact decimals DuckDB returns (the `mf` table
prints floats)."""

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

from orchestration.dbt_args import dbt_executable
from tiering.project import PROJECT_DIR

MONEY = ("net_revenue", "cogs", "gross_margin", "cost_to_serve", "contribution")
SEMANTIC_MANIFEST = PROJECT_DIR / "target" / "semantic_manifest.json"


class DuckDbDialect:
    """What MetricFlow's engine needs to write DuckDB SQL; nothing is run through it."""

    sql_engine_type = SqlEngine.DUCKDB
    sql_plan_renderer = DuckDbSqlPlanRenderer()


@pytest.fixture(scope="module")
def mf_warehouse(handmade_warehouse, tmp_path_factory) -> Path:
    """A copy of the hand-made warehouse under the same file name (the database name the
    semantic manifest holds): `mf` opens its file through dbt's profile, read-write, which
    would lock the shared build against the other workers' readers."""
    copy = tmp_path_factory.mktemp("mf") / handmade_warehouse.name
    shutil.copyfile(handmade_warehouse, copy)
    return copy


@pytest.fixture(scope="module")
def manifest(mf_warehouse):
    """`dbt parse` for the hand-made warehouse: the semantic manifest names its file's
    database (DuckDB calls it by the file name), as `mf` needs. dbt writes into a target folder
    of its own (the worker's keeps the parse its builds reuse); `mf` reads
    target/semantic_manifest.json, so that one file is put there whole (os.replace: a dbt run
    of another worker never sees half of it)."""
    target = mf_warehouse.parent / "target"
    env = {**os.environ, "WAREHOUSE_PATH": str(mf_warehouse), "DBT_TARGET_PATH": str(target)}
    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    staged = SEMANTIC_MANIFEST.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(target / SEMANTIC_MANIFEST.name, staged)
    os.replace(staged, SEMANTIC_MANIFEST)
    return parse_manifest_from_dbt_generated_manifest(SEMANTIC_MANIFEST.read_text())


@pytest.fixture(scope="module")
def metrics(manifest, handmade_warehouse):
    engine = MetricFlowEngine(SemanticManifestLookup(manifest), sql_client=DuckDbDialect())

    def ask(names, group_by=(), where=()):
        request = MetricFlowQueryRequest.create(
            metric_names=list(names), group_by_names=list(group_by), where_constraints=list(where) or None
        )
        sql = engine.explain(request).sql_statement.without_descriptions.sql
        return rows(handmade_warehouse, sql)

    return ask


def rows(warehouse: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = con.sql(sql)
        return [dict(zip(result.columns, r)) for r in result.fetchall()]


def keyed(records: list[dict], keys: list[str], values: list[str]) -> dict:
    return {tuple(r[k] for k in keys): tuple(r[v] for v in values) for r in records}


def test_semantic_manifest_has_no_issues(manifest):
    result = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not result.all_issues, [i.message for i in result.all_issues]
    names = {m.name for m in manifest.metrics}
    assert {
        "customers",
        "buyers",
        "net_revenue",
        "cogs",
        "gross_margin",
        "cost_to_serve",
        "contribution",
        "share_of_contribution",
        "scheme_share_of_contribution",
    } <= names
    assert {q.name for q in manifest.saved_queries} == {
        "default_pyramid",
        "scheme_tiers",
        "quadrants",
        "cost_to_serve_by_activity",
    }


def test_company_figures_equal_company_pnl_exactly(metrics, handmade_warehouse):
    [answer] = metrics(["customers", "buyers", *MONEY])
    pnl = {
        r["line_item"]: r["amount"]
        for r in rows(handmade_warehouse, "select line_item, amount from company_pnl where activity is null")
    }
    for m in MONEY:
        assert isinstance(answer[m], D), m  # a DECIMAL sum, not a float
        assert answer[m] == pnl[m if m != "contribution" else "company_contribution"], m
    # the hand-computed figures of the hand-made landing (tests/test_customer_value.py)
    assert (answer["net_revenue"], answer["cogs"], answer["contribution"]) == (D("747.97"), D("478.00"), D("-485.73"))
    assert (answer["customers"], answer["buyers"]) == (8, 4)


@pytest.mark.parametrize(
    "dimension, mart, column",
    [
        ("customer__quadrant", "quadrant_profitability", "quadrant"),
        ("customer__value_grid", "grid_profitability", "value_grid"),
    ],
)
def test_groups_equal_their_mart(metrics, handmade_warehouse, dimension, mart, column):
    figures = ["customers", "buyers", *MONEY]
    got = keyed(metrics(figures, [dimension]), [dimension], figures)
    want = keyed(rows(handmade_warehouse, f"select * from {mart} where customers > 0"), [column], figures)
    assert got == want
    assert len(got) >= 3


def test_scheme_tiers_equal_tier_profitability(metrics, handmade_warehouse):
    figures = ["customers", "buyers", *MONEY]
    keys = ["tier_assignment__scheme", "tier_assignment__tier"]
    got = keyed(metrics([f"scheme_{f}" for f in figures], keys), keys, [f"scheme_{f}" for f in figures])
    want = keyed(
        rows(handmade_warehouse, "select * from tier_profitability where customers > 0"), ["scheme", "tier"], figures
    )
    assert got == want
    seed = Path(__file__).parent.parent / "seeds" / "tier_schemes.csv"
    assert {k[0] for k in got} == {r["scheme"] for r in csv.DictReader(seed.open())}  # the multi-factor one too


def test_default_pyramid_tier_equals_default_scheme(metrics, handmade_warehouse):
    got = keyed(
        metrics(["customers", "contribution"], ["customer__pyramid_tier"]),
        ["customer__pyramid_tier"],
        ["customers", "contribution"],
    )
    want = keyed(
        rows(
            handmade_warehouse,
            """
        select tier, customers, contribution from tier_profitability
        where customers > 0 and scheme = (select distinct scheme from tier_schemes where is_default)""",
        ),
        ["tier"],
        ["customers", "contribution"],
    )
    assert got == want
    assert got[("non_buyer",)] == (4, D("-173.7000"))


def test_region_segment_rfm_lifecycle_and_as_of_date(metrics, handmade_warehouse):
    keys = [
        "metric_time__day",
        "customer__region",
        "customer__segment",
        "customer__rfm_segment",
        "customer__lifecycle_stage",
    ]
    got = keyed(
        metrics(["customers", "net_revenue", "contribution"], keys),
        keys[1:],
        ["metric_time__day", "customers", "net_revenue", "contribution"],
    )
    want = keyed(
        rows(
            handmade_warehouse,
            """
        select v.region, v.segment, v.rfm_segment, t.lifecycle_stage, v.as_of_date::timestamp as as_of,
               count(*) as customers, sum(v.net_revenue) as net_revenue, sum(v.contribution) as contribution
        from customer_value as v inner join customer_tiers as t using (customer_id)
        group by all""",
        ),
        ["region", "segment", "rfm_segment", "lifecycle_stage"],
        ["as_of", "customers", "net_revenue", "contribution"],
    )
    assert got == want
    assert {v[0].date().isoformat() for v in got.values()} == {"2026-06-30"}


def test_shares_keep_the_sign_of_the_part_when_the_company_loses(metrics, handmade_warehouse):
    shares = ["share_of_customers", "share_of_buyers", "share_of_net_revenue", "share_of_contribution"]
    got = keyed(metrics(shares, ["customer__quadrant"]), ["customer__quadrant"], shares)
    quadrants = rows(handmade_warehouse, "select * from quadrant_profitability where customers > 0")
    total = {f: sum(q[f] for q in quadrants) for f in ("customers", "buyers", "net_revenue", "contribution")}
    assert total["contribution"] == D("-485.73")  # a loss: every share of contribution is negative
    for q in quadrants:
        want = tuple(float(q[f] / abs(total[f])) for f in ("customers", "buyers", "net_revenue", "contribution"))
        assert got[(q["quadrant"],)] == pytest.approx(want, rel=1e-12)
        assert got[(q["quadrant"],)][3] < 0
    assert sum(v[3] for v in got.values()) == pytest.approx(-1.0)


def test_a_filtered_share_keeps_the_company_denominator(metrics, handmade_warehouse):
    [north] = metrics(
        ["contribution", "share_of_contribution"], where=["{{ Dimension('customer__region') }} = 'north'"]
    )
    [direct] = rows(handmade_warehouse, "select sum(contribution) as c from customer_value where region = 'north'")
    assert north["contribution"] == direct["c"] == D("-221.7000")
    assert north["share_of_contribution"] == pytest.approx(float(D("-221.7") / D("485.73")), rel=1e-12)


def test_scheme_shares_are_within_the_scheme(metrics, handmade_warehouse):
    keys = ["tier_assignment__scheme", "tier_assignment__tier"]
    got = keyed(
        metrics(["scheme_share_of_contribution", "scheme_share_of_buyers"], keys),
        keys,
        ["scheme_share_of_contribution", "scheme_share_of_buyers"],
    )
    for r in rows(
        handmade_warehouse,
        """
            select scheme, tier, contribution / abs(sum(contribution) over (partition by scheme)) as contribution_share,
                   buyers / sum(buyers) over (partition by scheme) as buyer_share
            from tier_profitability where customers > 0""",
    ):
        assert got[(r["scheme"], r["tier"])] == pytest.approx(
            (float(r["contribution_share"]), float(r["buyer_share"])), rel=1e-12
        )
    for scheme in {k[0] for k in got}:
        assert sum(v[0] for k, v in got.items() if k[0] == scheme) == pytest.approx(-1.0)


def test_ratios_within_a_group(metrics, handmade_warehouse):
    [answer] = metrics(
        ["gross_margin_rate", "cost_to_serve_to_revenue", "unprofitable_buyer_rate", "contribution_per_customer"]
    )
    assert answer["gross_margin_rate"] == pytest.approx(269.97 / 747.97)
    assert answer["cost_to_serve_to_revenue"] == pytest.approx(755.70 / 747.97)
    assert answer["unprofitable_buyer_rate"] == 1.0  # all four hand-made buyers lose money
    assert answer["contribution_per_customer"] == pytest.approx(-485.73 / 8)


def test_cost_to_serve_per_tier_and_activity(metrics, handmade_warehouse):
    keys = ["customer__pyramid_tier", "customer_activity__activity"]
    got = keyed(
        metrics(["activity_cost_to_serve", "activity_events"], keys),
        keys,
        ["activity_cost_to_serve", "activity_events"],
    )
    want = keyed(
        rows(
            handmade_warehouse,
            """
        select coalesce(t.pyramid_tier, 'non_buyer') as tier, c.activity,
               sum(c.cost_to_serve) as cost, sum(c.events) as events
        from customer_cost_to_serve as c inner join customer_tiers as t using (customer_id)
        group by all""",
        ),
        ["tier", "activity"],
        ["cost", "events"],
    )
    assert got == want
    per_activity = keyed(
        metrics(["activity_cost_to_serve"], ["customer_activity__activity"]),
        ["customer_activity__activity"],
        ["activity_cost_to_serve"],
    )
    pnl = keyed(
        rows(handmade_warehouse, "select activity, amount from company_pnl where activity is not null"),
        ["activity"],
        ["amount"],
    )
    assert per_activity == pnl


def mf(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    """The `mf` command as a user runs it: in the project, the warehouse file from the profile."""
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse)}
    return subprocess.run(
        [str(Path(sys.executable).parent / "mf"), *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )


def test_mf_query_command_answers_to_the_cent(manifest, mf_warehouse, handmade_warehouse, tmp_path):
    out = tmp_path / "quadrants.csv"
    result = mf(mf_warehouse, "query", "--saved-query", "quadrants", "--csv", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with out.open() as f:
        got = {
            r["customer__quadrant"]: (int(r["customers"]), D(r["net_revenue"]), D(r["contribution"]))
            for r in csv.DictReader(f)
        }
    want = keyed(
        rows(handmade_warehouse, "select * from quadrant_profitability where customers > 0"),
        ["quadrant"],
        ["customers", "net_revenue", "contribution"],
    )
    assert got == {k[0]: v for k, v in want.items()}


def test_mf_validate_configs_against_the_warehouse(manifest, mf_warehouse):
    result = mf(mf_warehouse, "validate-configs")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "against data warehouse (ERRORS: 0" in result.stdout
