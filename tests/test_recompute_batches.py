"""The audit's recomputation reads the landing in batches: its figures and row verdicts do not
depend on the batch size, including keys whose later version lands in another file or batch."""

import json
import threading
from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration import recompute as recompute_module
from orchestration.recompute import recompute
from tiering.landing import take_inventory, write_inventory
from tiering.project import SAMPLE_LANDING

AS_OF = date(2026, 6, 30)
HISTORY = {
    "customers": [{"customer_id": c, "created_date": "2025-01-01", "segment": "smb"} for c in ("c1", "c2", "c3", "c4")],
    "orders": [
        {
            "order_id": "o1",
            "customer_id": "c1",
            "order_ts": "2026-05-01 10:00:00",
            "channel": "web",
            "status": "completed",
        },
        {
            "order_id": "o2",
            "customer_id": "c2",
            "order_ts": "2026-05-02 10:00:00",
            "channel": "web",
            "status": "completed",
        },
        {
            "order_id": "o3",
            "customer_id": "c3",
            "order_ts": "2026-05-03 10:00:00",
            "channel": "web",
            "status": "cancelled",
        },
        {
            "order_id": "o4",
            "customer_id": "c4",
            "order_ts": "2026-05-04 10:00:00",
            "channel": "web",
            "status": "completed",
        },
    ],
    "order_lines": [
        {
            "order_id": o,
            "line_number": n,
            "quantity": q,
            "unit_price": "10.00",
            "discount_amount": "1.50",
            "unit_cost": "4.25",
        }
        for o, n, q in (("o1", 1, 2), ("o1", 2, 3), ("o2", 1, 1), ("o3", 1, 4), ("o4", 1, 5), ("o1", 3, 7))
    ],
    "service_events": [
        {"event_id": e, "customer_id": c, "event_ts": "2026-06-01 09:00:00", "activity": "call", "quantity": q}
        for e, c, q in (("e1", "c1", "10.50"), ("e2", "c2", "2.25"), ("e3", "c3", "1.00"))
    ],
    "activity_rates": [
        {"activity": "call", "driver_unit": "minute", "rate_per_unit": "0.75", "valid_from": "2025-01-01"}
    ],
}
NIGHT = {  # re-sent keys: later versions in the next file, an identical repeat, a conflicting pair
    "orders": [
        {
            "order_id": "o3",
            "customer_id": "c3",
            "order_ts": "2026-05-03 10:00:00",
            "channel": "web",
            "status": "completed",
        },
        {
            "order_id": "o4",
            "customer_id": "c4",
            "order_ts": "2026-05-04 10:00:00",
            "channel": "web",
            "status": "completed",
        },
        {
            "order_id": "o4",
            "customer_id": "c4",
            "order_ts": "2026-05-04 10:00:00",
            "channel": "phone",
            "status": "completed",
        },
    ],
    "order_lines": [
        {
            "order_id": "o1",
            "line_number": 2,
            "quantity": 9,
            "unit_price": "10.00",
            "discount_amount": "1.50",
            "unit_cost": "4.25",
        },
        {
            "order_id": "o2",
            "line_number": 1,
            "quantity": 1,
            "unit_price": "10.00",
            "discount_amount": "1.50",
            "unit_cost": "4.25",
        },
        {
            "order_id": "o2",
            "line_number": 1,
            "quantity": 1,
            "unit_price": "10.00",
            "discount_amount": "1.50",
            "unit_cost": "4.25",
        },
    ],
    "service_events": [
        {
            "event_id": "e1",
            "customer_id": "c1",
            "event_ts": "2026-06-01 09:00:00",
            "activity": "call",
            "quantity": "3.00",
        }
    ],
}


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("batches")
    for table, rows in HISTORY.items():
        (root / "landing" / table).mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), root / "landing" / table / "2026-06-29.parquet", row_group_size=2)
    for table, rows in NIGHT.items():
        header = list(rows[0])
        lines = [",".join(header)] + [",".join(str(r[c]) for c in header) for r in rows]
        (root / "landing" / table / "2026-06-30.csv").write_text("\n".join(lines) + "\n")
    return json.loads(write_inventory(take_inventory(root / "landing"), root / "inventory").read_text())


def outcome(recomputed) -> tuple:
    counts = {t: vars(j) for t, j in recomputed.counts.items()}
    return recomputed.figures.to_pylist(), counts


@pytest.mark.fast
def test_batch_size_changes_nothing_and_the_last_file_wins(inventory):
    whole = recompute(inventory, AS_OF)
    for rows in (1, 2, 3, 5):
        for threads in (1, 2):
            assert outcome(recompute(inventory, AS_OF, batch_rows=rows, threads=threads)) == outcome(whole)
    figures = {f["customer_id"]: f for f in whole.figures.to_pylist()}
    line = lambda q: (q * Decimal("10.00") - Decimal("1.50"), q * Decimal("4.25"))  # noqa: E731
    c1 = [line(q) for q in (2, 9, 7)]  # o1 line 2: the night's quantity 9, not the history's 3
    assert (figures["c1"]["net_revenue"], figures["c1"]["cogs"]) == tuple(sum(x) for x in zip(*c1))
    assert figures["c1"]["cost_to_serve"] == Decimal("3.00") * Decimal("0.75")  # e1 re-sent
    assert figures["c2"]["net_revenue"] == line(1)[0]  # an identical repeat counts once
    assert figures["c3"]["is_buyer"] and figures["c3"]["net_revenue"] == line(4)[0]  # now completed
    assert "c4" not in figures  # o4's two night versions conflict: quarantined, its line too
    assert vars(whole.counts["orders"]) == {"accepted": 3, "quarantined": 2, "superseded": 2, "malformed": 0}
    assert vars(whole.counts["order_lines"]) == {"accepted": 5, "quarantined": 1, "superseded": 3, "malformed": 0}


@pytest.mark.fast
def test_row_counts_that_understate_the_files_change_nothing(inventory):
    """The inventory's row counts only size the key-hash buffer: a file holding more rows grows it."""
    understated = json.loads(json.dumps(inventory))
    for table in understated["tables"].values():
        for f in table["files"]:
            f["rows"] = 0
    assert outcome(recompute(understated, AS_OF, batch_rows=2)) == outcome(recompute(inventory, AS_OF))


def test_batch_size_changes_nothing_on_the_sample(tmp_path):
    inventory = json.loads(write_inventory(take_inventory(SAMPLE_LANDING), tmp_path).read_text())
    assert outcome(recompute(inventory, AS_OF, batch_rows=7919)) == outcome(recompute(inventory, AS_OF))


@pytest.mark.fast
def test_hashes_do_not_depend_on_the_batch(monkeypatch):
    long = "x" * (recompute_module.HASHED_BYTES + 5)
    values = pa.chunked_array([["a", None, "b", long + "1"], ["c", "a", "d", "e", "", long + "2", "ab"]])
    whole = recompute_module._hashes(values)
    monkeypatch.setattr(recompute_module, "BATCH_ROWS", 2)
    assert list(recompute_module._hashes(values)) == list(whole)
    assert whole[0] == whole[5] and whole[1] == whole[8] and len(set(whole.tolist())) == 9  # null hashes as ""
    alone = {v: recompute_module._hashes(pa.array([v]))[0] for v in ("a", "ab", long + "1", long + "2", "")}
    assert [alone[v] for v in ("a", "ab", long + "1", long + "2", "")] == [whole[i] for i in (0, 10, 3, 9, 8)]


@pytest.mark.fast
def test_key_index_finds_the_exact_row_when_hashes_collide(monkeypatch):
    """Every key hashes to one of two values: the text decides, and rows keep their positions."""
    keys = ["k5", "k1", "k4", "k2", "k3", "k0"]
    rows = pa.table({"order_id": keys, "customer_id": [f"c{k}" for k in keys]})
    colliding = lambda text: np.array([hash(v) % 2 for v in pc.fill_null(text, "").to_pylist()], np.uint64)  # noqa: E731
    monkeypatch.setattr(recompute_module, "_hashes", colliding)
    index = recompute_module.KeyIndex(rows, "order_id")
    probe = pa.array(["k3", "k9", None, "k5", "k0", "k1"])
    found = index.index(probe)
    assert found.to_pylist() == [4, None, None, 0, 5, 1]
    assert index.column("customer_id", found).to_pylist() == ["ck3", None, None, "ck5", "ck0", "ck1"]


@pytest.mark.fast
def test_positions_are_numpys_binary_search_in_any_probe_order():
    rng = np.random.default_rng(7)
    top = np.uint64(2**64 - 1)
    edges = np.array([0, 5, 5, top], np.uint64)
    table = np.sort(np.concatenate([rng.integers(0, top, 5000, np.uint64, endpoint=True), edges]))
    probes = np.concatenate(
        [rng.integers(0, top, 3000, np.uint64, endpoint=True), table[::7], np.array([0, 4, 5, top], np.uint64)]
    )
    rng.shuffle(probes)
    expected = np.minimum(np.searchsorted(table, probes), len(table) - 1)
    assert (recompute_module.positions(table, probes) == expected).all()
    assert len(recompute_module.positions(table, np.array([], np.uint64))) == 0


@pytest.mark.fast
def test_customer_sums_are_summed_again_only_after_as_many_new_rows(monkeypatch):
    """Every batch brings the same ten customers: the held rows are reduced every second batch
    (ten new rows outnumber the ten left), not after every batch, and the sums stay exact."""
    monkeypatch.setattr(recompute_module, "REDUCE_AT", 2)
    sums = recompute_module.CustomerSums(["net_revenue"])
    reductions = []
    for batch in range(40):
        customers = [f"c{i}" for i in range(10)]
        sums.add(pa.table({"customer_id": customers, "net_revenue": [Decimal(f"{batch}.{i:02d}") for i in range(10)]}))
        reductions.append(len(sums.parts) == 1)
    assert sum(reductions) == 20
    totals = {r["customer_id"]: r["net_revenue"] for r in sums.table().to_pylist()}
    assert totals == {f"c{i}": sum(Decimal(f"{b}.{i:02d}") for b in range(40)) for i in range(10)}


@pytest.mark.fast
def test_prefetched_keeps_the_order_and_raises_the_workers_error():
    assert list(recompute_module.prefetched(iter(range(50)), ahead=3)) == list(range(50))
    assert list(recompute_module.prefetched(iter([]))) == []

    def failing():
        yield 1
        raise recompute_module.Invalid("file 2 cannot be read")

    reader = recompute_module.prefetched(failing())
    assert next(reader) == 1
    with pytest.raises(recompute_module.Invalid, match="file 2 cannot be read"):
        next(reader)


@pytest.mark.fast
def test_closing_prefetched_stops_its_worker():
    made = []

    def endless():
        while True:
            made.append(len(made))
            yield made[-1]

    reader = recompute_module.prefetched(endless(), ahead=2)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    stopped_at = len(made)
    assert stopped_at <= 3 + 2 + 1  # taken, queued, and the one offered when it stopped
    assert not [t for t in threading.enumerate() if t.name == "recompute-reader"]
    assert len(made) == stopped_at


@pytest.mark.fast
def test_keyed_batches_come_in_delivery_order_and_a_typing_error_is_raised(inventory, monkeypatch):
    landed = recompute_module.Landed.of(inventory, "order_lines", batch_rows=1, threads=2)
    columns = recompute_module.COLUMNS["order_lines"]
    keys = [(b.key.to_pylist(), b.rows["_file"].to_pylist()) for b in landed.keyed_batches(columns)]
    delivered = [
        (k.key.to_pylist(), k.rows["_file"].to_pylist())
        for k in (recompute_module.Keyed.typed(raw, columns, "order_lines") for raw in landed._raw(columns))
    ]
    assert len(keys) == 9 and keys == delivered

    typed = recompute_module._typed_file

    def failing(table, columns, file_index):
        if file_index == 1:
            raise recompute_module.Invalid("the night's file cannot be typed")
        return typed(table, columns, file_index)

    monkeypatch.setattr(recompute_module, "_typed_file", failing)
    with pytest.raises(recompute_module.Invalid, match="the night's file cannot be typed"):
        recompute(inventory, AS_OF, threads=2)
