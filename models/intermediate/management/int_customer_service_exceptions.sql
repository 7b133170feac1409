{#- Customers served against their tier's plan (seed service_exception_rules):
    over_served: a listed tier received more units of a listed activity in the window than its
    allowance a year (equal to the allowance is not over); under_served: a listed tier received
    fewer units of a planned activity than min_share_of_plan x its planned units (equal is not
    under). gap_units is the excess or the shortfall, gap_cost that gap at the rate in force at D. -#}
with served as (select * from {{ ref('int_customer_service_plan_vs_actual') }}),

rules as (select * from {{ ref('service_exception_rules') }}),

over_served as (
    select
        served.*,
        rules.exception,
        rules.allowance_units_per_year::decimal(38, 2) as limit_units,
        (served.actual_units - rules.allowance_units_per_year)::decimal(38, 2) as gap_units,
        rules.description as rule_description
    from served
    inner join rules
        on rules.exception = 'over_served' and rules.tier = served.tier and rules.activity = served.activity
    where served.actual_units > rules.allowance_units_per_year
),

under_served as (
    select
        served.*,
        rules.exception,
        (served.planned_units * rules.min_share_of_plan)::decimal(38, 2) as limit_units,
        (served.planned_units * rules.min_share_of_plan - served.actual_units)::decimal(38, 2) as gap_units,
        rules.description as rule_description
    from served
    inner join rules
        on rules.exception = 'under_served' and rules.tier = served.tier
        and coalesce(rules.activity, served.activity) = served.activity
    where served.planned_units > 0
      and served.actual_units < served.planned_units * rules.min_share_of_plan
),

exceptions as (
    select * from over_served
    union all
    select * from under_served
)

select
    e.as_of_date,
    e.customer_id,
    c.customer_name,
    e.tier,
    c.buyer_status,
    e.exception,
    e.activity,
    e.driver_unit,
    e.planned_units,
    e.actual_events,
    e.actual_units,
    e.actual_cost,
    e.limit_units,
    e.gap_units,
    (e.gap_units * e.rate_at_as_of)::decimal(38, 4) as gap_cost,
    e.activity || ': ' || e.actual_units::string || ' units (' || e.driver_unit || ') in the window, '
        || case e.exception
               when 'over_served' then 'allowance ' || e.limit_units::string || ' a year for tier ' || e.tier
               else 'plan ' || e.limit_units::string || ' a year (' || c.contact_cadence || ', ' || c.service_channel
                    || ') for tier ' || e.tier
           end
        || ' (' || e.rule_description || ')' as reason
from exceptions as e
inner join {{ ref('int_customer_service_tier') }} as c on c.customer_id = e.customer_id
