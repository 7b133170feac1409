{#- A view: a copy of int_customer_activity_costs would only be written again by the publish. -#}
{{ config(materialized='view') }}
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
