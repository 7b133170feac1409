{%- set cascades = [] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['activity']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_activity_rates'), 'activity_rates', ['activity'], cascades), contract_key('activity_rates'), 'activity_rates') }}
),

row_checked as (
    select
        *,
        coalesce(valid_to, date '9999-12-31') as valid_until,
        nullif(concat_ws('; ',
            typing_errors,
            {{ contract_issues('activity_rates') }},
            {{ conflict_reason('delivery_state') }}
        ), '') as row_issues
    from staged
),

-- validity ranges of one activity never overlap: every rate row in an overlap is quarantined
overlapping as (
    select
        a.activity,
        a.valid_from,
        'validity overlaps the rate valid from ' || {{ ordered_string_agg('b.valid_from::string', "', '", ['b.valid_from']) }} as overlap_reason
    from row_checked as a
    inner join row_checked as b
        on a.activity = b.activity
        and a.valid_from <> b.valid_from
        and a.valid_from <= b.valid_until
        and b.valid_from <= a.valid_until
    where a.delivery_state = 'latest' and a.row_issues is null
      and b.delivery_state = 'latest' and b.row_issues is null
    group by a.activity, a.valid_from
),

checked as (
    select
        row_checked.*,
        nullif(concat_ws('; ', row_issues, overlap_reason), '') as issues
    from row_checked
    left join overlapping
        on overlapping.activity = row_checked.activity
        and overlapping.valid_from = row_checked.valid_from
        and row_checked.delivery_state = 'latest'
        and row_checked.row_issues is null
)

select
    {{ star_except('row_issues') }},
    {{ verdict('delivery_state', 'issues') }}
from checked
