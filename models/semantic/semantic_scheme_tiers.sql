{#- One row per customer and tier scheme (seed tier_schemes): the customer's tier in the
    scheme, 'non_buyer' for non-buyers, with its figures and the scheme's totals (the
    denominators of its shares). Each scheme's rows hold every customer once, so per scheme
    they add up to company_pnl and to tier_profitability. -#}
with schemes as (
    select distinct scheme from {{ ref('tier_schemes') }}
),

assigned as (
    select
        v.as_of_date,
        v.customer_id,
        schemes.scheme,
        coalesce(p.tier, 'non_buyer') as tier,
        coalesce(p.tier_name, 'non-buyers') as tier_name,
        coalesce(p.tier_order, 99) as tier_order,
        v.is_buyer,
        v.net_revenue,
        v.cogs,
        v.gross_margin,
        v.cost_to_serve,
        v.contribution
    from {{ ref('customer_value') }} as v
    cross join schemes
    left join {{ ref('int_customer_pyramid') }} as p
        on p.customer_id = v.customer_id and p.scheme = schemes.scheme
)

select
    *,
    count(*) over scheme as scheme_customers,
    count(*) filter (where is_buyer) over scheme as scheme_buyers,
    sum(net_revenue) over scheme as scheme_net_revenue,
    sum(contribution) over scheme as scheme_contribution
from assigned
window scheme as (partition by scheme)
