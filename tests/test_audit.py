"""The GX audit: the customer P&L recomputed from the landing files agrees with the marts on the
sample, the hand-made and a generated landing; a cent off in one customer's built figure fails
it with one line naming the amounts; the Data Docs open offline."""

import json
import re
import shutil
import threading
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import build, copy_of, query, shared, shared_build
from test_bad_deliveries import bad_night, make_bad_night

from orchestration import audit, data_docs
from orchestration.dbt_runner import run_dbt
from orchestration.recompute import TYPERS, Invalid, recompute
from orchestration.report import audit_section
from tiering.contract import TABLES
from tiering.landing import default_as_of, inventory_file, take_inventory
from tiering.project import SAMPLE_LANDING
from tiering.settings import Settings

REMOTE = re.compile(r"https?://")


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    """The sample at its default as-of, built once per test run (shared with other files)."""
    as_of = default_as_of(take_inventory(SAMPLE_LANDING))
    return shared_build(tmp_path_factory, f"sample-{as_of}", SAMPLE_LANDING, as_of)


def mart_customers(warehouse) -> dict:
    rows = query(warehouse, "select customer_id, net_revenue, cogs, cost_to_serve, is_buyer from customer_value")
    return {c: (n, g, s, b) for c, n, g, s, b in rows}


def assert_recomputation_agrees(warehouse):
    inventory = json.loads(inventory_file(warehouse).read_text())
    as_of = query(warehouse, "select as_of_date from int_run_parameters")[0][0]
    mine = recompute(inventory, as_of)
    marts = mart_customers(warehouse)
    recomputed = {
        f["customer_id"]: (f["net_revenue"], f["cogs"], f["cost_to_serve"], f["is_buyer"])
        for f in mine.figures.to_pylist()
    }
    zero = (Decimal(0), Decimal(0), Decimal(0), False)
    assert {c: marts.get(c, zero) for c in recomputed} == recomputed
    assert all(v == zero for c, v in marts.items() if c not in recomputed)
    pnl = dict(query(warehouse, "select line_item, amount from company_pnl where activity is null"))
    assert mine.totals()["contribution"] == pnl["company_contribution"] and mine.buyers() > 0
    reconciliation = query(
        warehouse, "select table_name, rows_accepted, rows_quarantined, rows_superseded from landing_reconciliation"
    )
    # every contract table but the invoices (the audit does not judge them) is counted
    assert set(mine.counts) == set(TABLES) - {"invoices"}
    assert set(mine.counts) <= {table for table, *_ in reconciliation}
    for table, accepted, quarantined, superseded in reconciliation:
        if table in mine.counts:
            judged = mine.counts[table]
            assert (judged.accepted, judged.quarantined, judged.superseded) == (
                accepted,
                quarantined,
                superseded,
            )


def test_recomputation_agrees_with_the_marts_on_the_sample(sample_build):
    assert_recomputation_agrees(sample_build)


def test_recomputation_agrees_on_the_handmade_landing(handmade_warehouse):
    assert_recomputation_agrees(handmade_warehouse)  # offsets, typed Parquet, conflicts, every bad row kind


def test_recomputation_agrees_on_a_generated_landing(generated_warehouse):
    assert_recomputation_agrees(generated_warehouse)  # with bad rows of every kind and re-sent keys


def test_recomputation_agrees_on_a_bad_night(tmp_path_factory):
    """Malformed rows (field counts, a broken quote, bad UTF-8), zoned timestamps in Parquet, a
    nested Parquet column: the recomputation judges them as the warehouse does (the build
    test_bad_deliveries reads)."""
    warehouse = bad_night(shared(tmp_path_factory, "bad-night", make_bad_night))[2]["UTC"]
    assert query(warehouse, "select sum(rows_malformed) from landing_reconciliation")[0][0] > 0
    assert_recomputation_agrees(warehouse)


def test_typing_follows_the_contract():
    assert TYPERS["money"](" 12.50 ") == Decimal("12.50") and TYPERS["money"]("3.100") == Decimal("3.10")
    for bad in ("12,50", "1.505", "abc"):
        with pytest.raises(Invalid):
            TYPERS["money"](bad)
    assert str(TYPERS["timestamp"]("2026-06-01T01:30:00+02:00")) == "2026-05-31 23:30:00"
    assert str(TYPERS["timestamp"]("2026-06-01 10:00:00")) == "2026-06-01 10:00:00"
    with pytest.raises(Invalid):
        TYPERS["timestamp"]("2026-06-31 25:00:00")
    assert TYPERS["code"](" Completed ") == "completed" and TYPERS["text"]("  ") is None


def test_audit_passes_with_amounts_and_the_data_docs_open_offline(sample_build, tmp_path):
    settings = Settings(home=tmp_path / "wh")
    results = audit.audit_warehouse(sample_build, "test sample", settings)
    assert [r.name for r in results] == list(audit.SUITES) and all(r.success for r in results)
    pnl = {f["figure"]: f for r in results for f in r.figures}
    contribution = query(sample_build, "select amount from company_pnl where line_item = 'company_contribution'")[0][0]
    shown = audit.amount(contribution)
    assert pnl["company_pnl company_contribution"]["line"] == (
        f"company_pnl company_contribution: mart {shown} vs recomputed {shown}, difference 0.00"
    )
    schemes = query(sample_build, "select distinct scheme from tier_profitability")
    assert all(f"tier_profitability {s} contribution" in pnl for (s,) in schemes)
    site = audit.data_docs_index(settings.gx_dir).parent
    assert site.is_relative_to(settings.home)  # each warehouse home has its own Data Docs
    pages = {page: page.read_text() for page in site.rglob("*.html")}
    index = pages[audit.data_docs_index(settings.gx_dir)]
    assert "recomputed_pnl" in index and "landing_counts" in index and len(pages) > len(audit.SUITES)
    for page, text in pages.items():
        text = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", text)
        assert not REMOTE.search(text), page
    for asset in re.findall(r'(?:src|href)="(static/vendor/[^"]+)"', index):
        assert (site / asset).is_file()


def test_the_data_docs_site_has_one_writer_or_reader_at_a_time(tmp_path):
    site, order = tmp_path / "local_site", []

    def second():
        with data_docs.site_lock(site):
            order.append("second")

    with data_docs.site_lock(site):
        other = threading.Thread(target=second)
        other.start()
        other.join(0.5)
        order.append("first")
    other.join(10)
    assert order == ["first", "second"]


def test_only_the_newest_audits_stay_in_the_data_docs(sample_build, tmp_path):
    """GX lists every stored result in the site's index, so an audit would cost more every night:
    each audit keeps the results and pages of the newest keep_audits, its own included."""
    settings = Settings(home=tmp_path / "wh", keep_audits=2)
    with duckdb.connect(str(sample_build), read_only=True) as con:
        frames = audit.audit_frames(con, sample_build, threads=2)
    for night in ("night-1", "night-2", "night-3"):
        assert all(r.success for r in audit.run_suites(frames, night, settings))
    results = settings.gx_dir / "uncommitted" / "validations"
    site = audit.data_docs_index(settings.gx_dir).parent
    for suite in audit.SUITES:
        assert sorted(p.name for p in (results / suite).iterdir()) == [f"night-2 {suite}", f"night-3 {suite}"]
        assert sorted(p.name for p in (site / "validations" / suite).iterdir()) == [
            f"night-2 {suite}",
            f"night-3 {suite}",
        ]
    index = audit.data_docs_index(settings.gx_dir).read_text()
    assert "night-3" in index and "night-2" in index and "night-1" not in index


def test_expired_runs_are_the_older_ones_of_each_suite_and_every_one_of_a_dropped_suite():
    runs = [
        ("pnl", "b pnl/20261102T010000.000000Z"),
        ("pnl", "a pnl/20261101T010000.000000Z"),
        ("pnl", "c pnl/20261103T010000.000000Z"),
        ("counts", "a counts/20261101T010000.000000Z"),
        ("retired_suite", "a retired_suite/20261101T010000.000000Z"),
    ]
    assert data_docs.expired_runs(runs, ["pnl", "counts"], keep=2) == [
        ("pnl", "a pnl/20261101T010000.000000Z"),
        ("retired_suite", "a retired_suite/20261101T010000.000000Z"),
    ]
    assert set(data_docs.expired_runs(runs, ["pnl", "counts"], keep=0)) == set(runs)


def test_an_expired_audit_that_cannot_be_removed_is_logged_and_the_others_go(tmp_path, monkeypatch):
    results, site = tmp_path / "validations", tmp_path / "site"
    for night in ("a", "b", "c"):
        for base in (results, site / "validations"):
            (base / "pnl" / f"{night} pnl" / f"2026110{ord(night) - 96}T010000.000000Z").mkdir(parents=True)
    real, lines = shutil.rmtree, []

    def refusing(path, *args, **kwargs):
        if path.parent.name == "a pnl" and path.is_relative_to(results):
            raise PermissionError(13, "Permission denied")
        real(path, *args, **kwargs)

    monkeypatch.setattr(data_docs.shutil, "rmtree", refusing)
    removed = data_docs.remove_expired_runs(results, site, ["pnl"], keep=1, log=lines.append)
    assert [p.parent.name for p in removed] == ["b pnl"]
    assert sorted(p.name for p in (results / "pnl").iterdir()) == ["a pnl", "c pnl"]
    assert len(lines) == 1 and "a pnl" in lines[0] and "Permission denied" in lines[0]


def test_offline_page_replaces_cdn_assets_and_drops_other_remote_references():
    page = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
        '<img src="https://example.org/logo.png?x=1" alt="logo">'
        "<style>a{background:url('https://example.org/dark.png')}</style>"
        '<a href="https://greatexpectations.io">GX</a>'
    )
    out = data_docs.offline_page(page, "../static/")
    assert '<link rel="stylesheet" href="../static/vendor/css/bootstrap.min.css">' in out
    assert "vega" not in out and ">GX</a>" in out and not REMOTE.search(out)


def test_a_cent_on_one_customer_fails_the_audit_naming_the_amounts(sample_build, tmp_path):
    warehouse = copy_of(sample_build, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        customer, before = con.sql(
            "select customer_id, contribution from customer_value where is_buyer order by customer_id limit 1"
        ).fetchone()
        # customer_value is a view over int_customer_profitability
        con.execute(
            "update int_customer_profitability set contribution = contribution + 0.01 where customer_id = ?", [customer]
        )
    settings = Settings(home=tmp_path / "wh")
    results = {r.name: r for r in audit.audit_warehouse(warehouse, "test mutated", settings)}
    assert not results["recomputed_pnl"].success
    assert [r.name for r in results.values() if not r.success] == ["recomputed_pnl"]
    (cause,) = results["recomputed_pnl"].causes
    assert "\n" not in cause and cause.startswith("recomputed_pnl: customer_value contribution: mart ")
    assert "difference 0.01" in cause
    assert (
        f"e.g. {customer}: mart {audit.amount(before + Decimal('0.01'))} vs recomputed {audit.amount(before)}" in cause
    )
    verdict = {"as_of": "2026-06-30", "passed": False, "failed": ["recomputed_pnl"]} | audit.verdict_checks(
        list(results.values()), settings.gx_dir
    )
    section = audit_section(verdict)
    assert "difference 0.01" in section and 'class="fail"' in section
    assert audit.data_docs_index(settings.gx_dir).as_uri() in section


def lose_a_verdict(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "delete from int_service_events__validated where event_id = "
            "(select min(event_id) from int_service_events__validated where row_status = 'superseded')"
        )


def count_a_row_never_staged(warehouse: Path) -> None:
    """The inventory counts one more row in a file than staging yields (as if staging lost it)."""
    document = json.loads(inventory_file(warehouse).read_text())
    document["tables"]["service_events"]["files"][-1]["rows"] += 1
    inventory_file(warehouse).write_text(json.dumps(document))


@pytest.mark.parametrize("fault", [lose_a_verdict, count_a_row_never_staged])
def test_a_landed_row_without_a_verdict_fails_the_builds_reconciliation(sample_build, tmp_path, fault):
    """landing_reconciliation takes the rows landed from the landing inventory's scan, not from the
    staged rows it checks: a row lost between the files and the verdicts, in validation or in
    staging, leaves its table unreconciled, and the build's reconciliation test fails."""
    warehouse = copy_of(sample_build, tmp_path)
    fault(warehouse)
    as_of = query(warehouse, "select as_of_date from int_run_parameters")[0][0]
    # dbt on the copy's own inventory: run_dbt_build would take a new one
    result = run_dbt(
        Settings.from_env(), warehouse, inventory_file(warehouse), as_of, True, ["-s", "landing_reconciliation"]
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAIL 1 expression_is_true_landing_reconciliation" in result.stdout
    reconciled = dict(query(warehouse, "select table_name, is_reconciled from landing_reconciliation"))
    assert [t for t, ok in reconciled.items() if not ok] == ["service_events"]


def test_a_key_accepted_twice_fails_the_audit_on_the_accepted_count(sample_build, tmp_path):
    """The build does not test accepted keys for repeats (one accepted row per key is a property of
    with_delivery_state, proven by the validated models' unit tests); were it broken, the audit's
    own verdicts on the landed rows would not match the build's count."""
    warehouse = copy_of(sample_build, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        order_id, line = con.sql(
            "select order_id, line_number from int_order_lines__validated where row_status = 'superseded' "
            "order by all limit 1"
        ).fetchone()
        con.execute(
            "update int_order_lines__validated set row_status = 'accepted' "
            "where order_id = ? and line_number = ? and row_status = 'superseded'",
            [order_id, line],
        )
        accepted = "select count(*) from int_order_lines where order_id = ? and line_number = ?"
        assert con.execute(accepted, [order_id, line]).fetchone() == (2,)
    as_of = query(warehouse, "select as_of_date from int_run_parameters")[0][0]
    build(SAMPLE_LANDING, warehouse, as_of, select="landing_reconciliation")
    settings = Settings(home=tmp_path / "wh")
    results = {r.name: r for r in audit.audit_warehouse(warehouse, "key accepted twice", settings)}
    assert [r.name for r in results.values() if not r.success] == ["landing_counts"]
    causes = " ".join(results["landing_counts"].causes)
    assert "order_lines rows accepted" in causes and "order_lines rows superseded" in causes
