{#- Loyalty-club state kept in the stored snapshots of dates before D (columns membership_* of
    <history folder>/as_of=*/tier_snapshot.parquet): one row per date and customer, and whether
    the date is the newest stored one with a club state (where D's replay starts; the landing
    inventory knows it, and a filter on it reads that date's file alone). A snapshot stored
    before the club was kept has none: the zero-row prototype, unioned by name, gives its rows
    null columns. -#}
{%- set snapshots = stored_snapshots() %}
{%- set columns = ['as_of_date', 'customer_id', 'membership_points', 'membership_points_level', 'membership_level',
                   'membership_since', 'membership_valid_until', 'membership_reason', 'membership_event'] %}
{%- set prototype -%}
    select
        null::date as as_of_date,
        null::{{ text_type() }} as customer_id,
        null::decimal(38, 0) as membership_points,
        null::{{ text_type() }} as membership_points_level,
        null::{{ text_type() }} as membership_level,
        null::date as membership_since,
        null::date as membership_valid_until,
        null::{{ text_type() }} as membership_reason,
        null::boolean as membership_event
    where false
{%- endset %}

with params as (select as_of_date from {{ ref('int_run_parameters') }}),

stored as (
    select * from ({{ parquet_files_with_prototype(snapshots, prototype, columns) }}) as files
    where membership_level is not null
)

select
    {% for c in columns %}stored.{{ c }},
    {% endfor -%}
    stored.as_of_date = {{ newest_stored_date(with_club_state=true) }} as is_replay_start
from stored
cross join params
where stored.as_of_date < params.as_of_date
