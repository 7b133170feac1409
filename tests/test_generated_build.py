"""End to end: a generated landing zone builds, and every landed row is accounted for."""

from conftest import query

# bad rows per table that the generator writes (k = 1 for small runs), by kind
BAD_PER_TABLE = {
    "customers": 7,
    "orders": 8,
    "order_lines": 10,
    "service_events": 7,
    "invoices": 4,
    "activity_rates": 4,
}


def test_landed_rows_equal_rows_written(generated_landing, generated_warehouse):
    _, counts = generated_landing
    rows = dict(query(generated_warehouse, "select table_name, rows_landed from landing_reconciliation"))
    assert rows == counts


def test_every_row_is_accepted_quarantined_or_superseded(generated_warehouse):
    rows = query(
        generated_warehouse,
        """select table_name, rows_landed, rows_accepted + rows_quarantined + rows_superseded,
                                                rows_quarantined from landing_reconciliation""",
    )
    for table, landed, resolved, quarantined in rows:
        assert landed == resolved, table
        assert quarantined == BAD_PER_TABLE[table], table


def test_quarantine_lists_every_quarantined_row_with_a_reason(generated_warehouse):
    assert query(generated_warehouse, "select count(*), count(reason) from quarantine") == [
        (sum(BAD_PER_TABLE.values()),) * 2
    ]
