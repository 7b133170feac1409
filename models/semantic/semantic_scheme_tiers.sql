{#- One row per customer and tier scheme (mart customer_scheme_tiers): the customer's tier in
    the scheme, 'non_buyer' for non-buyers, with its figures and the scheme's totals (the
    denominators of its shares). Each scheme's rows hold every customer once, so per scheme
    they add up to company_pnl and to tier_profitability. -#}
with assigned as (
    select
        v.as_of_date,
        v.customer_id,
        t.scheme,
        t.tier,
        t.tier_name,
        t.tier_order,
        v.is_buyer,
        v.net_revenue,
        v.cogs,
        v.gross_margin,
        v.cost_to_serve,
        v.contribution
    from {{ ref('customer_value') }} as v
    inner join {{ ref('customer_scheme_tiers') }} as t on t.customer_id = v.customer_id
)

select
    *,
    count(*) over scheme as scheme_customers,
    count(*) filter (where is_buyer) over scheme as scheme_buyers,
    sum(net_revenue) over scheme as scheme_net_revenue,
    sum(contribution) over scheme as scheme_contribution
from assigned
window scheme as (partition by scheme)
