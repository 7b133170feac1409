{#- Company totals at D on every customer's row: the defined denominators of the share
    metrics (a share is part / |total|, whatever the filter or grouping of the part). -#}
select
    as_of_date,
    customer_id,
    count(*) over () as all_customers,
    count(*) filter (where is_buyer) over () as all_buyers,
    sum(net_revenue) over () as total_net_revenue,
    sum(gross_margin) over () as total_gross_margin,
    sum(cost_to_serve) over () as total_cost_to_serve,
    sum(contribution) over () as total_contribution
from {{ ref('customer_value') }}
