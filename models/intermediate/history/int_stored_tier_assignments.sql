{#- Tier assignments kept in the stored snapshots of dates before D (column tier_assignments of
    <history folder>/as_of=*/tier_snapshot.parquet): one row per date, customer and scheme, and
    whether the date is the newest stored one (the assignments D starts from; the landing
    inventory knows it, and a filter on it reads that date's file alone). A snapshot stored
    before assignments existed has none: the zero-row prototype, unioned by name, gives its
    rows a null column. assignment_changed (null in a file stored before it was kept): some
    assignment of the customer is not kept. -#}
{%- set snapshots = stored_snapshots() %}
{%- set prototype -%}
    select
        null::date as as_of_date,
        null::string as customer_id,
        null::{{ struct_list_type({
            'scheme': text_type(), 'computed_tier': text_type(), 'assigned_tier': text_type(), 'assigned_since': 'date',
            'next_review_date': 'date', 'assignment_reason': text_type()}) }} as tier_assignments,
        null::boolean as assignment_changed
    where false
{%- endset %}

with params as (select as_of_date from {{ ref('int_run_parameters') }}),

stored as (
    {{ parquet_files_with_prototype(snapshots, prototype, ['as_of_date', 'customer_id', 'tier_assignments', 'assignment_changed']) }}
),

unnested as (
    select
        stored.as_of_date,
        stored.customer_id,
        stored.as_of_date = {{ newest_stored_date() }} as is_newest_stored,
        stored.assignment_changed,
        {{ unnest_list('stored.tier_assignments') }} as assignment
    from stored
    cross join params
    where stored.as_of_date < params.as_of_date
)

select
    as_of_date,
    customer_id,
    assignment.*,  -- scheme, computed_tier, assigned_tier, assigned_since, next_review_date, assignment_reason
    is_newest_stored,
    assignment_changed
from unnested
