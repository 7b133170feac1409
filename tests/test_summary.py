"""The end-of-run summary: its figures equal independent queries of the built warehouse and
counts of the landing files; `warehouse-run --json` prints it alone, the debug output goes to the log."""

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
from conftest import HANDMADE_AS_OF, query

from orchestration.report import money
from orchestration.summary import summarize, to_json, to_text
from tiering.landing import default_as_of, take_inventory

TABLES = ("customers", "orders", "order_lines", "service_events", "invoices", "activity_rates")


def landed_rows(landing: Path, table: str) -> int:
    total = 0
    for ext, reader in (("csv", "read_csv('{}', all_varchar = true)"), ("parquet", "read_parquet('{}')")):
        for f in (landing / table).glob(f"*.{ext}"):
            total += duckdb.sql(f"select count(*) from {reader.format(f)}").fetchone()[0]
    return total


def test_summary_figures_equal_the_warehouse(handmade_landing, handmade_warehouse):
    s = summarize(handmade_warehouse, HANDMADE_AS_OF.isoformat())
    quarantined = dict(query(handmade_warehouse, "select table_name, count(*) from quarantine group by 1"))
    assert {t["table_name"]: (t["rows_landed"], t["rows_quarantined"]) for t in s["tables"]} == {
        t: (landed_rows(handmade_landing, t), quarantined.get(t, 0)) for t in TABLES
    }
    pnl = {p["line_item"]: p["amount"] for p in s["company_pnl"] if p["activity"] is None}
    revenue, margin, cost = query(
        handmade_warehouse, "select sum(net_revenue), sum(gross_margin), sum(cost_to_serve) from customer_value"
    )[0]
    assert (pnl["net_revenue"], pnl["company_contribution"]) == (revenue, margin - cost)
    tiers = query(
        handmade_warehouse,
        """select coalesce(pyramid_tier, 'non_buyer'), count(*), sum(contribution)
                                         from customer_tiers group by 1 order by 1""",
    )
    assert (
        sorted((t["tier"], t["customers"], t["contribution"]) for t in s["pyramid"]["tiers"] if t["customers"]) == tiers
    )
    contributions = [
        c
        for (c,) in query(
            handmade_warehouse,
            """select contribution from customer_value where is_buyer
                                                                order by contribution desc, customer_id""",
        )
    ]
    running = [sum(contributions[: i + 1]) for i in range(len(contributions))]
    peak = max(range(len(running)), key=lambda i: (running[i], -i))
    assert f"({peak + 1:,} of {len(contributions):,}) earn {money(running[peak])}" in s["whale_curve"]


def test_summary_text_and_json_keep_amounts(handmade_warehouse):
    s = summarize(handmade_warehouse, HANDMADE_AS_OF.isoformat(), audit={"passed": False, "failed": ["tier_counts"]})
    text = to_text(s)
    contribution = next(p["amount"] for p in s["company_pnl"] if p["line_item"] == "company_contribution")
    assert re.search(rf"^  company contribution +{re.escape(money(contribution))}$", text, flags=re.M)
    assert "audit:      FAILED (tier_counts)" in text and "nothing (served file unchanged)" in text
    parsed = json.loads(to_json(s))
    assert (
        Decimal(next(p["amount"] for p in parsed["company_pnl"] if p["line_item"] == "company_contribution"))
        == contribution
    )


def test_warehouse_run_prints_the_summary_and_logs_the_rest(published_night, pipeline_landing):
    # the shared night is `warehouse-run --json` on 600 customers (the sample's 3,000 add only time)
    out, err = ((published_night.parent / f"std{name}.txt").read_text() for name in ("out", "err"))
    assert out.lstrip().startswith("{"), (out[:2000], err[-2000:])
    s = json.loads(out)
    as_of = default_as_of(take_inventory(pipeline_landing)).isoformat()
    assert s["as_of"] == as_of and s["audit"]["passed"] and s["published"]["as_of"] == as_of
    report = published_night / "reports" / f"tier_report-{as_of}.html"
    assert Path(s["report"]) == report and report.exists()
    assert (published_night / "reports" / "tier_report-latest.html").exists()
    lines = err.splitlines()
    assert lines[2].startswith(f"running the nightly pipeline for {as_of}"), err[-3000:]
    progress = [
        re.fullmatch(r"(.+?)(?: \((.+)\))?: (started|done in \d+\.\d s)", line) for line in lines[:2] + lines[3:]
    ]
    assert all(progress), err[-3000:]  # nothing but one line per step as it starts and ends
    steps = [(m[1], m[3].split(" ")[0]) for m in progress]
    for step in ("as-of date", "landing inventory", "dbt build", "audit", "publish", "report"):
        assert [s for s in steps if s[0] == step] == [(step, "started"), (step, "done")], steps
    assert re.fullmatch(r"\d+ nodes", next(m[2] for m in progress if m[1] == "dbt build"))
    assert "DEBUG" in Path(s["log_file"]).read_text()
