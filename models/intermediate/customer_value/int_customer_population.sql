{#- Customers known at D: created on or before D, or with a completed order on or before D,
    or with a service event in the window (so no sale or cost is ever left without its customer). -#}
with params as (select * from {{ ref('int_run_parameters') }}),

active as (
    select customer_id from {{ ref('int_customer_sales') }}
    union
    select customer_id from {{ ref('int_customer_activity_costs') }}
)

select customers.customer_id, customers.customer_name, customers.segment, customers.region, customers.created_date
from {{ ref('int_customers') }} as customers
cross join params
where customers.created_date <= params.as_of_date
   or customers.customer_id in (select customer_id from active)
