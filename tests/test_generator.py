"""The generator: deterministic, contract-conformant, and shaped like real customer bases."""

import filecmp
import json
from datetime import date

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from reference import connect_landing, customer_figures, top_share

from devtools.generator.cli import Spec, generate, main
from orchestration.recompute import recompute
from tiering.contract import TABLES
from tiering.landing import default_as_of, take_inventory, write_inventory

pytestmark = pytest.mark.fast  # the quick tier: make test-fast

END = date(2026, 6, 30)


def test_same_seed_gives_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(Spec(customers=500, seed=3), a)
    generate(Spec(customers=500, seed=3), b)
    for name in TABLES:
        files = sorted(p.name for p in (a / name).iterdir())
        assert files and files == sorted(p.name for p in (b / name).iterdir())
        assert filecmp.cmpfiles(a / name, b / name, files, shallow=False)[0] == files


def test_other_seed_gives_other_data(tmp_path):
    generate(Spec(customers=300, seed=1), tmp_path / "a")
    generate(Spec(customers=300, seed=2), tmp_path / "b")
    f = "order_lines/2026-06-29.parquet"
    assert not filecmp.cmp(tmp_path / "a" / f, tmp_path / "b" / f, shallow=False)


def test_files_follow_the_contract(generated_landing):
    landing, counts = generated_landing
    for name, spec in TABLES.items():
        parquet = list((landing / name).glob("*.parquet"))
        assert [pq.read_schema(p) for p in parquet] == [spec.schema]
        for path in (landing / name).glob("*.csv"):
            assert pacsv.read_csv(path).column_names == spec.schema.names
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parquet)
        rows += sum(pacsv.read_csv(p).num_rows for p in (landing / name).glob("*.csv"))
        assert rows == counts[name]


def test_clean_option_writes_no_bad_rows(tmp_path):
    landing = tmp_path / "landing"
    generate(Spec(customers=300, seed=5, clean=True), landing)
    inventory = take_inventory(landing)
    assert inventory.malformed == [] and inventory.rejected == []
    # the audit's own judgement (orchestration/recompute.py), not the generator's markers
    document = json.loads(write_inventory(inventory, tmp_path / "inventory").read_text())
    judged = recompute(document, default_as_of(inventory)).counts
    assert {name: counts.quarantined for name, counts in judged.items()} == dict.fromkeys(judged, 0)
    assert all(counts.accepted > 0 for counts in judged.values())
    invoices = pacsv.read_csv(landing / "invoices" / "2026-06-30.csv").to_pandas()  # not judged by the audit
    assert not invoices["invoice_id"].astype(str).str.contains("BAD|UNK|DUP|NULL|ZERO|NEG").any()
    assert not (landing / "activity_rates" / "2026-06-30.csv").exists()


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    out = tmp_path_factory.mktemp("shape")
    generate(Spec(customers=20000, seed=42, clean=True), out)
    return out


def test_a_few_customers_dominate_revenue(shaped):
    con = connect_landing(shaped)
    rel = customer_figures(con, END)
    share = con.sql("""
        with r as (select net_revenue, row_number() over (order by net_revenue desc) as rk, count(*) over () as n,
                          sum(net_revenue) over () as total from rel where is_buyer)
        select (sum(net_revenue) filter (where rk <= n * 0.2) / any_value(total))::double from r""").fetchone()[0]
    assert 0.6 < share < 0.95


def test_whale_curve_top_fifth_earns_well_over_all_profit(shaped):
    assert 1.5 <= top_share(shaped, END, 0.2) <= 3.0


def test_some_large_customers_lose_money(shaped):
    con = connect_landing(shaped)
    rel = customer_figures(con, END)
    losers = con.sql("""select count(*) from (select *, ntile(10) over (order by net_revenue desc) as decile
                           from rel where is_buyer) where decile = 1 and contribution < 0""").fetchone()[0]
    assert losers > 0


def test_population_has_prospects_lapsed_returns_cancellations_and_bad_payers(shaped):
    d = shaped
    con = connect_landing(d)
    rel = customer_figures(con, END)
    prospects = duckdb.sql(f"""select count(*) from read_parquet('{d}/customers/*.parquet') c
        where customer_id not in (select customer_id from read_parquet('{d}/orders/*.parquet'))
          and customer_id in (select customer_id from read_parquet('{d}/service_events/*.parquet'))""").fetchone()[0]
    lapsed = duckdb.sql(f"""select count(*) from (select customer_id, max(order_ts) as last
        from read_parquet('{d}/orders/*.parquet') group by 1) where last < date '{END}' - 365""").fetchone()[0]
    returns, cancelled = duckdb.sql(f"""select count(*) filter (where quantity < 0),
        (select count(*) filter (where status = 'cancelled') from read_parquet('{d}/orders/*.parquet'))
        from read_parquet('{d}/order_lines/*.parquet')""").fetchone()
    late, written_off = duckdb.sql(f"""select count(*) filter (where paid_date > due_date),
        count(*) filter (where written_off) from read_parquet('{d}/invoices/*.parquet')""").fetchone()
    non_buyer_cost = con.sql("select sum(cost_to_serve) from rel where not is_buyer").fetchone()[0]
    assert min(prospects, lapsed, returns, cancelled, late, written_off) > 0
    assert non_buyer_cost > 0


def test_rates_change_inside_the_window(shaped):
    rows = duckdb.sql(f"""select activity, count(*) from read_parquet('{shaped}/activity_rates/*.parquet')
        where valid_from > date '{END}' - 365 and valid_from <= date '{END}' group by 1""").fetchall()
    assert len(rows) >= 4


def test_second_delivery_resends_keys_with_changed_values(generated_landing):
    landing, _ = generated_landing
    changed = duckdb.sql(f"""
        select count(*) from read_csv('{landing}/orders/2026-06-30.csv', all_varchar = true) n
        join read_parquet('{landing}/orders/2026-06-29.parquet') o using (order_id)
        where n.status <> o.status""").fetchone()[0]
    assert changed > 0


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    assert main(["--customers", "10", "--out", str(tmp_path)]) == 0
    assert main(["--customers", "10", "--out", str(tmp_path)]) == 2
    assert main(["--customers", "10", "--out", str(tmp_path), "--force"]) == 0
    assert "chunk 1/1" in capsys.readouterr().err


def test_bundled_sample_is_the_generators_output(tmp_path):
    """sample/landing is `make sample` (3,000 customers, seed 7); regenerate it when the generator changes."""
    from tiering.project import SAMPLE_LANDING

    generate(Spec(customers=3000, seed=7), tmp_path)
    for name in TABLES:
        files = sorted(p.name for p in (SAMPLE_LANDING / name).iterdir())
        assert files == sorted(p.name for p in (tmp_path / name).iterdir())
        assert filecmp.cmpfiles(SAMPLE_LANDING / name, tmp_path / name, files, shallow=False)[0] == files
