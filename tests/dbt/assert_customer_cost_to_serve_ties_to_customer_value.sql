-- Per customer, the activity costs add up to customer_value.cost_to_serve exactly.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'customer_cost_to_serve'}}}) }}

select v.customer_id, v.cost_to_serve, c.total
from {{ ref('customer_value') }} as v
left join (
    select customer_id, sum(cost_to_serve) as total from {{ ref('customer_cost_to_serve') }} group by customer_id
) as c on c.customer_id = v.customer_id
where v.cost_to_serve <> coalesce(c.total, 0)
