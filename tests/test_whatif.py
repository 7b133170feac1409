"""warehouse-whatif: alternative seeds against a copy of a build; the served file never changes."""

import csv
import fcntl
import hashlib
import json
import shutil
import socket
import subprocess
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import query

from orchestration import whatif
from orchestration.report import render
from tiering.landing import default_as_of, inventory_file, take_inventory
from tiering.settings import Settings

SEEDS = Path(__file__).parent.parent / "seeds"


def vip_cut_off(dest: Path, share: str) -> Path:
    """seeds/tier_schemes.csv with the default scheme's tier A at cumulative share `share`."""
    rows = list(csv.DictReader((SEEDS / "tier_schemes.csv").open()))
    default = next(r["scheme"] for r in rows if r["is_default"] == "true")
    for r in rows:
        if r["scheme"] == default and r["tier_order"] == "1":
            r["cumulative_share"] = share
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "tier_schemes.csv"
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return out


def rank_bound(share: Decimal, buyers: int) -> int:
    return int((share * buyers).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_alternative_seed_checks_give_one_line_causes(tmp_path):
    good = vip_cut_off(tmp_path / "good", "0.02")
    assert whatif.check_alternative(good) == "tier_schemes"
    bad_value = tmp_path / "bad" / "tier_schemes.csv"
    bad_value.parent.mkdir()
    bad_value.write_text(good.read_text().replace(",0.02,", ",two percent,", 1))
    unknown = tmp_path / "tier_scheme.csv"
    shutil.copyfile(good, unknown)
    missing = tmp_path / "miss" / "service_plan.csv"
    missing.parent.mkdir()
    missing.write_text("service_channel,activity\nfield,sales_visit\n")
    short = tmp_path / "short" / "service_plan.csv"
    short.parent.mkdir()
    short.write_text((SEEDS / "service_plan.csv").read_text() + "phone,extra\n")
    causes = {}
    for path in (bad_value, unknown, missing, short):
        with pytest.raises(whatif.WhatIfError) as e:
            whatif.check_alternative(path)
        causes[path] = str(e.value)
    assert "line 2: cumulative_share 'two percent' is not decimal(9,6)" in causes[bad_value]
    assert "no seed tier_scheme" in causes[unknown]
    assert "missing ['description', 'units_per_contact']" in causes[missing]
    assert "fields, the header has 4" in causes[short]
    assert all("\n" not in c for c in causes.values())


def test_malformed_alternative_fails_the_command_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    bad = tmp_path / "tier_settings.csv"
    bad.write_text("setting,value,description\nquadrant_value_quantile,half,x\n")
    assert whatif.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "value 'half' is not double" in err


def test_downstream_selector_and_text_table():
    assert whatif.downstream_selector(["tier_settings", "service_plan"]) == "service_plan+ tier_settings+"
    table = whatif.text_table([{"tier": "A", "customers": 3}, {"tier": "non_buyer", "customers": None}])
    assert table.splitlines()[0].split() == ["tier", "customers"]
    assert table.splitlines()[3].split() == ["non_buyer"]
    assert whatif.text_table([]) == "  (none)"


@pytest.fixture(scope="module")
def vip_home(tmp_path_factory) -> Settings:
    tmp = tmp_path_factory.mktemp("whatif")
    return Settings(home=tmp, landing_dir=tmp / "landing", served_file=tmp / "served" / "warehouse.duckdb")


@pytest.fixture(scope="module")
def vip_whatif(generated_warehouse, vip_home):
    """Moving the default scheme's A cut-off from its seed value to twice that, against a copy
    of the generated build; a served file and the build are hashed before and after."""
    paths, tmp = vip_home, vip_home.home
    paths.served_file.parent.mkdir(parents=True)
    shutil.copyfile(generated_warehouse, paths.served_file)
    hashes = {p: sha256(p) for p in (paths.served_file, generated_warehouse)}
    rows = list(csv.DictReader((SEEDS / "tier_schemes.csv").open()))
    seed_share = Decimal(
        next(r["cumulative_share"] for r in rows if r["is_default"] == "true" and r["tier_order"] == "1")
    )
    alternative = vip_cut_off(tmp / "alt", str(seed_share * 2))
    result = whatif.run_whatif([alternative], paths, build=generated_warehouse, work=tmp)
    return result, seed_share, hashes, alternative


def test_doubling_the_vip_cut_off_moves_exactly_the_predicted_customers(vip_whatif, generated_warehouse):
    result, share, _, _ = vip_whatif
    ranked = query(generated_warehouse, "select customer_id, pyramid_rank from customer_tiers where is_buyer")
    buyers = len(ranked)
    first, last = rank_bound(share, buyers), rank_bound(share * 2, buyers)
    predicted = sorted(c for c, rank in ranked if first < rank <= last)
    assert predicted, "the generated sample must have buyers between the two cut-offs"
    got = result["customers_changing_tier"]
    assert [r["customer_id"] for r in got] == predicted
    assert {(r["tier_before"], r["tier_after"]) for r in got} == {("B", "A")}
    moves = {(r["tier_before"], r["tier_after"]): r["customers"] for r in result["tier_moves"]}
    assert moves == {("B", "A"): len(predicted)}


def test_whatif_changes_neither_the_served_file_nor_the_build(vip_whatif):
    _, _, hashes, _ = vip_whatif
    assert {p: sha256(p) for p in hashes} == hashes


def test_per_tier_figures_and_planned_cost_follow_the_move(vip_whatif, generated_warehouse):
    result, _, _, _ = vip_whatif
    default = query(generated_warehouse, "select distinct pyramid_scheme from customer_tiers")[0][0]
    tiers = {r["tier"]: r for r in result["tiers"] if r["scheme"] == default}
    moved = result["tier_moves"][0]
    assert tiers["A"]["net_revenue_after"] - tiers["A"]["net_revenue_before"] == moved["net_revenue"]
    assert tiers["B"]["contribution_before"] - tiers["B"]["contribution_after"] == moved["contribution"]
    others = [r for r in result["tiers"] if r["scheme"] != default]
    assert all(r["customers_before"] == r["customers_after"] for r in others)
    # planned cost per customer of a tier is fixed: A's grows by the movers' share of it
    service = {r["tier"]: r for r in result["service"]}
    per_a = service["A"]["planned_cost_before"] / tiers["A"]["customers_before"]
    assert service["A"]["planned_cost_after"] == per_a * tiers["A"]["customers_after"]
    assert service["D"]["fee_income_after"] == service["D"]["fee_income_before"]


def test_outputs_json_csv_and_the_report_section(vip_whatif, generated_warehouse):
    result, _, _, _ = vip_whatif
    doc = json.loads(whatif.to_json(result))
    assert doc["totals"]["customers_changing_tier"] == len(result["customers_changing_tier"])
    lines = list(csv.DictReader(whatif.to_csv(result).splitlines()))
    movers = [r for r in lines if r["section"] == "customer_tier"]
    assert [r["key"] for r in movers] == [r["customer_id"] for r in result["customers_changing_tier"]]
    text = whatif.render_text(result)
    assert f"{len(movers)} customers change default tier" in text
    _, page = render(generated_warehouse, whatif=doc)
    assert '<section id="whatif"><h2>What-if</h2>' in page
    assert f"{len(movers):,} customers change default tier" in page
    _, without = render(generated_warehouse, whatif={**doc, "as_of": "1999-12-31"})
    assert 'id="whatif"' not in without


def test_an_alternative_that_fails_a_seed_test_names_it(generated_warehouse, vip_whatif, vip_home, tmp_path):
    """A second what-if on a home: dbt reuses the parse the first saved (its log says when it
    cannot)."""
    rows = (SEEDS / "tier_schemes.csv").read_text().replace(",net_revenue,", ",turnover,", 1)
    alt = tmp_path / "alt" / "tier_schemes.csv"
    alt.parent.mkdir()
    alt.write_text(rows)
    with pytest.raises(whatif.WhatIfError) as e:
        whatif.run_whatif([alt], vip_home, build=generated_warehouse, work=tmp_path)
    assert "test.customer_tiers.accepted_values_tier_schemes" in str(e.value) and "\n" not in str(e.value)
    log = (vip_home.whatif_dir / "project" / "logs" / "dbt.log").read_text()
    assert log.count("Unable to do partial parsing") == 1  # the first what-if's
    assert sorted(p.name for p in vip_home.whatif_dir.iterdir()) == ["lock", "project"]  # no rebuilt copy left


def test_a_rebuild_that_fails_before_dbt_writes_its_results_is_not_named_after_an_earlier_one(tmp_path, monkeypatch):
    """The home's project copy keeps dbt's target folder: an earlier what-if's failed node must
    not stand in for a dbt that failed before writing run_results.json."""
    earlier = tmp_path / "project" / "target" / "run_results.json"
    earlier.parent.mkdir(parents=True)
    earlier.write_text(json.dumps({"results": [{"status": "fail", "unique_id": "test.earlier", "message": "x"}]}))
    monkeypatch.setattr(whatif, "dbt_executable", lambda: "false")  # exits 1, prints nothing
    with pytest.raises(whatif.WhatIfError, match="^dbt failed: no output$"):
        whatif.rebuild(
            tmp_path / "project",
            tmp_path / "w.duckdb",
            tmp_path / "inventory.json",
            date(2026, 6, 30),
            ["x"],
            Settings(),
        )


def test_one_whatif_at_a_time_per_home(tmp_path):
    paths = Settings(home=tmp_path, landing_dir=tmp_path, served_file=tmp_path / "served.duckdb")
    paths.whatif_dir.mkdir()
    with open(paths.whatif_dir / "lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(whatif.WhatIfError, match=f"another what-if is running on {tmp_path}"):
            whatif.run_whatif([vip_cut_off(tmp_path / "alt", "0.02")], paths, build=tmp_path / "none.duckdb")


def home_with_build(tmp: Path, build: Path) -> Settings:
    """A warehouse home whose build folder holds `build` (with its landing inventory) as the
    latest build."""
    paths = Settings(home=tmp, landing_dir=tmp / "landing", served_file=tmp / "served" / "warehouse.duckdb")
    paths.build_dir.mkdir(parents=True)
    as_of = query(build, "select max(as_of_date) from company_pnl")[0][0].isoformat()
    shutil.copyfile(build, paths.build_file(as_of))
    shutil.copytree(inventory_file(build).parent, inventory_file(paths.build_file(as_of)).parent)
    return paths


def test_the_latest_build_is_read_under_the_run_lock(handmade_warehouse, tmp_path):
    paths = home_with_build(tmp_path, handmade_warehouse)
    night = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])  # a live run of another process
    try:
        paths.lock_file.write_text(json.dumps({"run_id": "nightly", "pid": night.pid, "host": socket.gethostname()}))
        with pytest.raises(whatif.WhatIfError, match="another run holds"):
            whatif.run_whatif([vip_cut_off(tmp_path / "alt", "0.02")], paths, work=tmp_path)
    finally:
        night.kill()
        night.wait()
    paths.lock_file.unlink()
    result = whatif.run_whatif([vip_cut_off(tmp_path / "alt", "0.02")], paths, work=tmp_path)
    assert not paths.lock_file.exists()
    before = query(handmade_warehouse, "select scheme, tier, customers from tier_profitability order by all")
    assert sorted((r["scheme"], r["tier"], r["customers_before"]) for r in result["tiers"]) == before


@pytest.mark.slow  # two builds: the landing, then the what-if
def test_without_a_build_the_landing_is_built_and_an_unchanged_seed_changes_nothing(handmade_landing, tmp_path):
    paths = Settings(home=tmp_path, landing_dir=handmade_landing, served_file=tmp_path / "served.duckdb")
    same = tmp_path / "alt" / "service_policies.csv"
    same.parent.mkdir()
    shutil.copyfile(SEEDS / "service_policies.csv", same)
    result = whatif.run_whatif([same], paths, work=tmp_path)
    assert result["as_of"] == default_as_of(take_inventory(handmade_landing)).isoformat()
    assert not paths.build_dir.exists()  # built in the temporary folder only
    assert result["tiers"] and result["service"]
    assert result["customers_changing_tier"] == result["tier_moves"] == result["action_changes"] == []
    for r in result["tiers"] + result["service"]:
        pairs = [(r[k], r[k.replace("_before", "_after")]) for k in r if k.endswith("_before")]
        assert all(before == after for before, after in pairs), r
