{#- Per customer and activity it was planned or received in the window: planned units a year
    (contacts per year of the tier's cadence x units per contact of its channel, seeds
    contact_cadences and service_plan) costed at the rate in force at D, and the actual
    events, driver units and exact cost to serve. -#}
with customers as (select * from {{ ref('int_customer_service_tier') }}),

planned as (
    select
        c.customer_id,
        plan.activity,
        (c.contacts_per_year * plan.units_per_contact)::decimal(38, 2) as planned_units
    from customers as c
    inner join {{ ref('service_plan') }} as plan on plan.service_channel = c.service_channel
    where c.contacts_per_year > 0
),

actual as (
    select customer_id, activity, driver_unit, events, driver_quantity, cost_to_serve
    from {{ ref('int_customer_activity_costs') }}
),

rates as (select * from {{ ref('int_activity_rates_at_as_of') }}),

combined as (
    select
        coalesce(planned.customer_id, actual.customer_id) as customer_id,
        coalesce(planned.activity, actual.activity) as activity,
        actual.driver_unit,
        coalesce(planned.planned_units, 0)::decimal(38, 2) as planned_units,
        coalesce(actual.events, 0)::bigint as actual_events,
        coalesce(actual.driver_quantity, 0)::decimal(38, 2) as actual_units,
        coalesce(actual.cost_to_serve, 0)::decimal(38, 4) as actual_cost
    from planned
    full outer join actual
        on actual.customer_id = planned.customer_id and actual.activity = planned.activity
)

select
    c.as_of_date,
    combined.customer_id,
    c.tier,
    combined.activity,
    coalesce(combined.driver_unit, rates.driver_unit) as driver_unit,
    combined.planned_units,
    rates.rate_per_unit as rate_at_as_of,
    (combined.planned_units * rates.rate_per_unit)::decimal(38, 4) as planned_cost,
    combined.actual_events,
    combined.actual_units,
    combined.actual_cost
from combined
inner join customers as c on c.customer_id = combined.customer_id
left join rates on rates.activity = combined.activity
