{%- set cascades = ['customer_id in ' ~ rejudged(ref('int_customers__validated'), 'customer_id'), 'activity in ' ~ rejudged(ref('int_activity_rates__validated'), 'activity')] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['event_id']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_service_events'), 'service_events', contract_key('service_events'), cascades), contract_key('service_events'), 'service_events') }}
),

customers as ({{ parent_keys(ref('int_customers__validated'), 'customer_id') }}),

rates as (
    select activity as rate_activity, valid_from as rate_valid_from, valid_until as rate_valid_until, rate_per_unit
    from {{ ref('int_activity_rates__validated') }}
    where row_status = 'accepted'
),

-- an activity has one rate row per validity range: one row per activity here
activities as (
    select activity as ref_key, bool_or(row_status = 'accepted') as is_accepted
    from {{ ref('int_activity_rates__validated') }}
    where row_status <> 'superseded' and activity is not null
    group by activity
),

checked as (
    select
        staged.*,
        rates.rate_per_unit,
        rates.rate_valid_from,
        nullif(concat_ws('; ',
            staged.typing_errors,
            {{ contract_issues('service_events') }},
            {{ reference_reason('customers', 'staged.customer_id', 'customer') }},
            case
                when staged.activity is not null and activities.is_accepted is null
                    then 'unknown activity "' || staged.activity || '"'
                when staged.event_ts is not null and staged.activity is not null and rates.rate_per_unit is null
                    then 'no accepted rate of "' || staged.activity || '" is valid on ' || staged.event_ts::date
            end,
            {{ conflict_reason('delivery_state') }}
        ), '') as issues
    from staged
    left join customers on customers.ref_key = staged.customer_id
    left join activities on activities.ref_key = staged.activity
    left join rates
        on rates.rate_activity = staged.activity
        and staged.event_ts::date between rates.rate_valid_from and rates.rate_valid_until
)

select
    *,
    {{ verdict('delivery_state', 'issues') }}
from checked
