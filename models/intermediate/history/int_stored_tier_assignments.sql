{#- Tier assignments kept in the stored snapshots of dates before D (column tier_assignments of
    <history folder>/as_of=*/tier_snapshot.parquet): one row per date, customer and scheme.
    A snapshot stored before assignments existed has none: the zero-row prototype, unioned by
    name, gives its rows a null column. -#}
{%- set files = landing_inventory().history_files %}

with params as (select as_of_date from {{ ref('int_run_parameters') }}),

stored as (
    {%- if files %}
    select * from read_parquet({{ sql_list(files) }}, union_by_name = true)
    union all by name
    {%- endif %}
    select
        null::date as as_of_date,
        null::varchar as customer_id,
        null::struct(
            scheme varchar, computed_tier varchar, assigned_tier varchar, assigned_since date,
            next_review_date date, assignment_reason varchar
        )[] as tier_assignments
    where false
),

unnested as (
    select stored.as_of_date, stored.customer_id, unnest(stored.tier_assignments) as assignment
    from stored
    cross join params
    where stored.as_of_date < params.as_of_date
)

select
    as_of_date,
    customer_id,
    assignment.*  -- scheme, computed_tier, assigned_tier, assigned_since, next_review_date, assignment_reason
from unnested
