{#- Customers served against their tier's plan: over-served low tiers on expensive activities
    beyond the allowance, under-served high tiers below their planned contacts (rules: seed
    service_exception_rules). One row per customer, exception and activity. -#}
select
    e.as_of_date::date as as_of_date,
    e.customer_id::string as customer_id,
    e.customer_name::string as customer_name,
    e.tier::string as tier,
    e.buyer_status::string as buyer_status,
    e.exception::string as exception,
    e.activity::string as activity,
    e.driver_unit::string as driver_unit,
    e.planned_units::decimal(38, 2) as planned_units,
    e.actual_events::bigint as actual_events,
    e.actual_units::decimal(38, 2) as actual_units,
    e.actual_cost::decimal(38, 4) as actual_cost,
    e.limit_units::decimal(38, 2) as limit_units,
    e.gap_units::decimal(38, 2) as gap_units,
    e.gap_cost::decimal(38, 4) as gap_cost,
    e.reason::string as reason
from {{ ref('int_customer_service_exceptions') }} as e
