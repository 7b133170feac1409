{#- Cost to serve per customer, activity, day and rate applied (all dates), exact to four
    decimals: window figures are summed from here instead of rescanning every event.
    Incremental runs recompute only the (customer, activity, day) groups whose events were
    re-judged in this run; a group left without events keeps a zero row. -#}
-- depends_on: {{ ref('int_service_events__validated') }}
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['customer_id', 'activity', 'event_date']) }}

with {% if is_incremental() %}
affected as (
    select distinct customer_id, activity, event_ts::date as event_date
    from {{ ref('int_service_events__validated') }}
    where validated_in = '{{ invocation_id }}'
      and customer_id is not null and activity is not null and event_ts is not null
),
{% endif %}

events as (
    select * from {{ ref('int_service_events') }}
    {% if is_incremental() %}
    where (customer_id, activity, event_date) in (select customer_id, activity, event_date from affected)
    {% endif %}
),

daily as (
    select
        customer_id,
        activity,
        event_date,
        rate_valid_from,
        rate_per_unit,
        max(driver_unit) as driver_unit,
        count(*)::bigint as events,
        sum(quantity)::decimal(38, 2) as driver_quantity,
        sum(quantity::decimal(38, 2) * rate_per_unit)::decimal(38, 4) as cost_to_serve
    from events
    group by customer_id, activity, event_date, rate_valid_from, rate_per_unit
)

{% if is_incremental() %}
select
    affected.customer_id, affected.activity, affected.event_date,
    daily.rate_valid_from, daily.rate_per_unit, daily.driver_unit,
    coalesce(daily.events, 0)::bigint as events,
    coalesce(daily.driver_quantity, 0)::decimal(38, 2) as driver_quantity,
    coalesce(daily.cost_to_serve, 0)::decimal(38, 4) as cost_to_serve
from affected
left join daily using (customer_id, activity, event_date)
{% else %}
select * from daily
{% endif %}
