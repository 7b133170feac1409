{#- A projection of int_customer_activity_costs (projection_mart_materialization). -#}
{{ config(materialized=projection_mart_materialization()) }}
select
    params.as_of_date,
    costs.customer_id,
    costs.activity,
    costs.driver_unit,
    costs.events,
    costs.driver_quantity,
    costs.rates_applied,
    costs.min_rate,
    costs.max_rate,
    costs.cost_to_serve
from {{ ref('int_customer_activity_costs') }} as costs
cross join {{ ref('int_run_parameters') }} as params
