{#- Cost to serve per customer, activity, day and rate applied (all dates), exact to four
    decimals: window figures are summed from here instead of rescanning every event. -#}
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
from {{ ref('int_service_events') }}
group by customer_id, activity, event_date, rate_valid_from, rate_per_unit
