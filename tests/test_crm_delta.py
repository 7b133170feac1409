"""CRM delta (orchestration/crm_delta.py) on hand-made exports: first night, a later night,
a rerun of the served night, an export the last night did not have."""

import hashlib
from pathlib import Path

import duckdb
import pytest

from orchestration.crm_delta import COLUMNS, write_crm_delta

pytestmark = pytest.mark.fast


def night(folder: Path, tiers: dict, assigned: dict | None, actions: dict, warnings: dict) -> Path:
    """An exports folder with the four exports the delta reads (assigned=None: no assigned_tiers)."""
    folder.mkdir()
    con = duckdb.connect()

    def export(name: str, sql: str) -> None:
        con.execute(f"copy ({sql}) to '{folder / name}.parquet' (format parquet)")

    def rows(values: dict, *columns: str) -> str:
        body = ", ".join(
            "(" + ", ".join("null" if v is None else f"'{v}'" for v in (k, *vs)) + ")" for k, vs in values.items()
        )
        return f"select * from (values {body}) as t(customer_id, {', '.join(columns)})"

    export("customer_tiers", rows({c: (t,) for c, t in tiers.items()}, "pyramid_tier"))
    if assigned is not None:
        export(
            "assigned_tiers",
            rows({c: (t,) for c, t in assigned.items()}, "assigned_tier")
            + " cross join (values (true, 'vip'), (false, 'abc')) as s(is_default_scheme, scheme)",
        )
    export("customer_actions", rows({c: (a,) for c, a in actions.items()}, "action"))
    export(
        "early_warning",
        rows({c: (r,) for c, r in warnings.items()}, "reasons")
        if warnings
        else "select 'x' as customer_id, 'r' as reasons where false",
    )
    return folder


def delta(folder: Path) -> list[tuple]:
    return duckdb.sql(f"select * from read_parquet('{folder}/crm_delta.parquet')").fetchall()


@pytest.fixture
def nights(tmp_path):
    first = night(
        tmp_path / "n1", {"C1": "A", "C2": None}, {"C1": "A", "C2": "non_buyer"}, {"C1": "retain", "C2": "develop"}, {}
    )
    second = night(
        tmp_path / "n2",
        {"C1": "B", "C2": "D", "C3": "D"},
        {"C1": "A", "C2": "D", "C3": "D"},
        {"C1": "retain", "C2": "maintain", "C3": "develop"},
        {"C1": "tier fell"},
    )
    return first, second


def test_first_night_everything_is_new(nights):
    first, _ = nights
    assert write_crm_delta(None, first, "2026-05-31", None, rerun=False) == 6
    got = delta(first)
    assert {(c, t, o, n) for _, _, c, t, o, n in got} == {
        ("C1", "tier", None, "A"),
        ("C2", "tier", None, "non_buyer"),
        ("C1", "assigned_tier", None, "A"),
        ("C2", "assigned_tier", None, "non_buyer"),
        ("C1", "action", None, "retain"),
        ("C2", "action", None, "develop"),
    }
    assert all(r[1] is None and str(r[0]) == "2026-05-31" for r in got)


def test_later_night_lists_only_changes_with_old_and_new_value(nights):
    first, second = nights
    write_crm_delta(None, first, "2026-05-31", None, rerun=False)
    assert write_crm_delta(first, second, "2026-06-30", "2026-05-31", rerun=False) == 8
    got = delta(second)
    assert [(c, t, o, n) for _, _, c, t, o, n in got] == [  # sorted by customer_id, change_type
        ("C1", "tier", "A", "B"),  # assigned tier kept: no row
        ("C1", "warning", None, "tier fell"),
        ("C2", "action", "develop", "maintain"),
        ("C2", "assigned_tier", "non_buyer", "D"),
        ("C2", "tier", "non_buyer", "D"),
        ("C3", "action", None, "develop"),
        ("C3", "assigned_tier", None, "D"),
        ("C3", "tier", None, "D"),
    ]
    assert {str(r[1]) for r in got} == {"2026-05-31"}
    columns = duckdb.sql(f"describe select * from read_csv('{second}/crm_delta.csv')").fetchall()
    assert tuple(c[0] for c in columns) == COLUMNS
    csv = duckdb.sql(f"select count(*) from read_csv('{second}/crm_delta.csv')").fetchone()[0]
    assert csv == len(got)


def test_a_cleared_warning_has_a_null_new_value(nights, tmp_path):
    _, second = nights
    third = night(tmp_path / "n3", {"C1": "B"}, {"C1": "A"}, {"C1": "retain"}, {})
    write_crm_delta(second, third, "2026-07-31", "2026-06-30", rerun=False)
    got = [(c, t, o, n) for _, _, c, t, o, n in delta(third)]
    assert ("C1", "warning", "tier fell", None) in got
    assert ("C2", "tier", "D", None) in got  # a customer missing from the new night's export


def test_rerun_of_the_served_night_writes_the_same_delta(nights, tmp_path):
    first, second = nights
    write_crm_delta(first, second, "2026-06-30", "2026-05-31", rerun=False)
    again = night(
        tmp_path / "again",
        {"C1": "B", "C2": "D", "C3": "D"},
        {"C1": "A", "C2": "D", "C3": "D"},
        {"C1": "retain", "C2": "maintain", "C3": "develop"},
        {"C1": "tier fell"},
    )
    write_crm_delta(second, again, "2026-06-30", "2026-05-31", rerun=True)
    for name in ("crm_delta.parquet", "crm_delta.csv"):
        digests = {hashlib.sha256((f / name).read_bytes()).hexdigest() for f in (second, again)}
        assert len(digests) == 1


def test_an_export_the_last_night_lacked_counts_as_new(tmp_path):
    before = night(tmp_path / "n1", {"C1": "A"}, None, {"C1": "retain"}, {})
    after = night(tmp_path / "n2", {"C1": "A"}, {"C1": "A"}, {"C1": "retain"}, {})
    assert write_crm_delta(before, after, "2026-06-30", "2026-05-31", rerun=False) == 1
    assert [(c, t, o, n) for _, _, c, t, o, n in delta(after)] == [("C1", "assigned_tier", None, "A")]
