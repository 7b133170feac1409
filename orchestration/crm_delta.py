"""The CRM delta: what changed for each customer since the last published night, for a
reverse-ETL tool (docs/management.md). Written into the new exports folder as crm_delta.csv
and crm_delta.parquet, one row per changed customer and change type, sorted by customer_id
and change_type. A value the last night did not export (the first night, or a change type
added since) counts as new: its old_value is null. Publishing the served date again compares
with the night that one was compared with (its delta gives back the old values), so a rerun
writes the same delta.
"""

from pathlib import Path

from tiering import db
from tiering.db import sql_string
from tiering.settings import duckdb_config

# change_type -> (export of the public mart, the customer's value in it, which rows count)
CHANGES = {
    "tier": ("customer_tiers", "coalesce(pyramid_tier, 'non_buyer')", "true"),
    "assigned_tier": ("assigned_tiers", "assigned_tier", "is_default_scheme"),
    "action": ("customer_actions", "action", "true"),
    "warning": ("early_warning", "reasons", "true"),
}
COLUMNS = ("as_of_date", "previous_as_of_date", "customer_id", "change_type", "old_value", "new_value")
FILE_NAME = "crm_delta"


def _values(exports: Path | None, mart: str, value: str, where: str) -> str:
    """The customer -> value relation of one export; empty when the export does not exist."""
    path = exports / f"{mart}.parquet" if exports else None
    if path is None or not path.exists():
        return "(select null::varchar as customer_id, null::varchar as value where false)"
    return f"(select customer_id, ({value})::varchar as value from read_parquet({sql_string(path)}) where {where})"


def _old_values(previous: Path | None, change: str, rerun: bool) -> str:
    """Values of the last published night; on a rerun of that night, the values before it."""
    mart, value, where = CHANGES[change]
    served = _values(previous, mart, value, where)
    if not rerun:
        return served
    delta = f"(select * from read_parquet({sql_string(previous / f'{FILE_NAME}.parquet')}) where change_type = {sql_string(change)})"
    return f"""(select customer_id, value from {served} where customer_id not in (select customer_id from {delta})
               union all select customer_id, old_value from {delta} where old_value is not null)"""


def delta_query(previous: Path | None, current: Path, as_of: str, previous_as_of: str | None, rerun: bool) -> str:
    parts = [
        f"""select {sql_string(change)} as change_type, coalesce(new.customer_id, old.customer_id) as customer_id,
                   old.value as old_value, new.value as new_value
            from {_old_values(previous, change, rerun)} as old
            full outer join {_values(current, *CHANGES[change])} as new using (customer_id)
            where old.value is distinct from new.value"""
        for change in CHANGES
    ]
    return f"""select {sql_string(as_of)}::date as as_of_date,
                      {sql_string(previous_as_of) if previous_as_of else "null"}::date as previous_as_of_date,
                      customer_id, change_type, old_value, new_value
               from ({" union all ".join(parts)})
               order by customer_id, change_type"""


def write_crm_delta(previous: Path | None, current: Path, as_of: str, previous_as_of: str | None, rerun: bool) -> int:
    """Write crm_delta.csv and .parquet into `current` (the new exports folder), comparing with
    the exports of `previous` (None on the first night), published as of `previous_as_of`;
    `rerun`: `previous` is this date's own earlier publication. Returns the number of rows."""
    rerun = rerun and previous is not None and (previous / f"{FILE_NAME}.parquet").exists()
    with db.connect(config=duckdb_config()) as con:
        con.execute(f"create temp table delta as {delta_query(previous, current, as_of, previous_as_of, rerun)}")
        for fmt, suffix in (("header", "csv"), ("format parquet", "parquet")):
            target = current / f"{FILE_NAME}.{suffix}"
            con.execute(f"copy (select * from delta order by customer_id, change_type) to {sql_string(target)} ({fmt})")
        return con.sql("select count(*) from delta").fetchone()[0]
