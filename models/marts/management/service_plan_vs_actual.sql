{#- Planned against actual service per tier of the default pyramid (non_buyer included) and
    activity, over the window: every tier of seed service_policies x every known activity. The
    plan is a year of the tier's cadence on its channel for every customer of the tier, costed
    at the rate in force at D; actual cost sums to the company's cost to serve. -#}
with tiers as (select * from {{ ref('int_tier_service_policies') }}),

activities as (
    select activity from {{ ref('int_activity_rates') }}
    union
    select activity from {{ ref('service_plan') }}
),

plan as (
    select
        tiers.tier,
        plan.activity,
        (tiers.contacts_per_year * plan.units_per_contact)::decimal(38, 2) as planned_units_per_customer
    from tiers
    inner join {{ ref('service_plan') }} as plan on plan.service_channel = tiers.service_channel
),

customers as (
    select tier, count(*) as customers
    from {{ ref('int_customer_service_tier') }}
    group by tier
),

served as (
    select
        tier,
        activity,
        count(*) filter (where actual_units > 0) as customers_served,
        count(*) filter (where planned_units > 0 and actual_units < planned_units) as customers_below_plan,
        sum(actual_events) as actual_events,
        sum(actual_units) as actual_units,
        sum(actual_cost) as actual_cost,
        max(driver_unit) as driver_unit
    from {{ ref('int_customer_service_plan_vs_actual') }}
    group by tier, activity
),

rates as (select * from {{ ref('int_activity_rates_at_as_of') }}),

grid as (
    select
        tiers.tier,
        tiers.tier_order,
        activities.activity,
        coalesce(customers.customers, 0) as customers,
        coalesce(plan.planned_units_per_customer, 0) as planned_units_per_customer,
        coalesce(customers.customers, 0) * coalesce(plan.planned_units_per_customer, 0) as planned_units,
        served.customers_served,
        served.customers_below_plan,
        served.actual_events,
        coalesce(served.actual_units, 0) as actual_units,
        coalesce(served.actual_cost, 0) as actual_cost,
        coalesce(rates.driver_unit, served.driver_unit) as driver_unit,
        rates.rate_per_unit
    from tiers
    cross join activities
    left join plan on plan.tier = tiers.tier and plan.activity = activities.activity
    left join customers on customers.tier = tiers.tier
    left join served on served.tier = tiers.tier and served.activity = activities.activity
    left join rates on rates.activity = activities.activity
)

select
    params.as_of_date::date as as_of_date,
    tier::string as tier,
    tier_order::integer as tier_order,
    activity::string as activity,
    driver_unit::string as driver_unit,
    (planned_units_per_customer > 0)::boolean as is_planned,
    customers::bigint as customers,
    coalesce(customers_served, 0)::bigint as customers_served,
    coalesce(customers_below_plan, 0)::bigint as customers_below_plan,
    planned_units_per_customer::decimal(38, 2) as planned_units_per_customer,
    planned_units::decimal(38, 2) as planned_units,
    rate_per_unit::decimal(18, 2) as rate_at_as_of,
    (case when planned_units = 0 then 0 else planned_units * rate_per_unit end)::decimal(38, 4) as planned_cost,
    coalesce(actual_events, 0)::bigint as actual_events,
    actual_units::decimal(38, 2) as actual_units,
    actual_cost::decimal(38, 4) as actual_cost,
    (actual_units - planned_units)::decimal(38, 2) as unit_variance,
    (actual_cost - case when planned_units = 0 then 0 else planned_units * rate_per_unit end)::decimal(38, 4)
        as cost_variance
from grid
cross join {{ ref('int_run_parameters') }} as params
