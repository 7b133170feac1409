{#- Cost to serve per customer and activity in the window: quantity x the rate valid on
    each event's date, exact to four decimals, from the daily aggregates. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

per_rate as (
    select
        daily.customer_id,
        daily.activity,
        daily.rate_valid_from,
        daily.rate_per_unit,
        max(daily.driver_unit) as driver_unit,
        sum(daily.events) as events,
        sum(daily.driver_quantity) as driver_quantity,
        sum(daily.cost_to_serve) as cost
    from {{ ref('int_customer_daily_costs') }} as daily
    cross join params
    where daily.event_date > params.window_start_exclusive
      and daily.event_date <= params.as_of_date
      and daily.events > 0
    group by all
)

select
    customer_id,
    activity,
    max(driver_unit) as driver_unit,
    sum(events)::bigint as events,
    sum(driver_quantity)::decimal(38, 2) as driver_quantity,
    string_agg(rate_per_unit::varchar || ' from ' || rate_valid_from::varchar, '; ' order by rate_valid_from) as rates_applied,
    min(rate_per_unit) as min_rate,
    max(rate_per_unit) as max_rate,
    sum(cost)::decimal(38, 4) as cost_to_serve
from per_rate
group by customer_id, activity
