{#- One row per scheme x tier, plus a non_buyer row per scheme carrying the cost of serving
    non-buyers, so each scheme's rows add up to company_pnl. -#}
{%- set members -%}
    select pyramid.customer_id, pyramid.scheme, pyramid.tier, pyramid.tier_name, pyramid.tier_order
    from {{ ref('int_customer_pyramid') }} as pyramid
    union all
    select p.customer_id, s.scheme, 'non_buyer', 'non-buyers', 99
    from {{ ref('int_customer_profitability') }} as p
    cross join (select distinct scheme from {{ ref('tier_schemes') }}) as s
    where not p.is_buyer
{%- endset -%}

with profitability as (
    {{ profitability_by(members, ['scheme', 'tier', 'tier_name', 'tier_order'], partition=['scheme']) }}
),

all_tiers as (
    select scheme, tier, tier_name, tier_order from {{ ref('tier_schemes') }}
)

select
    coalesce(profitability.scheme, all_tiers.scheme) as scheme,
    coalesce(profitability.tier, all_tiers.tier) as tier,
    coalesce(profitability.tier_name, all_tiers.tier_name) as tier_name,
    coalesce(profitability.tier_order, all_tiers.tier_order)::integer as tier_order,
    coalesce(profitability.customers, 0)::bigint as customers,
    coalesce(profitability.share_of_customers, 0)::double as share_of_customers,
    coalesce(profitability.buyers, 0)::bigint as buyers,
    coalesce(profitability.share_of_buyers, 0)::double as share_of_buyers,
    coalesce(profitability.net_revenue, 0)::decimal(38, 2) as net_revenue,
    coalesce(profitability.cogs, 0)::decimal(38, 2) as cogs,
    coalesce(profitability.gross_margin, 0)::decimal(38, 2) as gross_margin,
    coalesce(profitability.cost_to_serve, 0)::decimal(38, 4) as cost_to_serve,
    coalesce(profitability.cost_to_serve_by_activity, map())::map(varchar, decimal(38, 4)) as cost_to_serve_by_activity,
    coalesce(profitability.contribution, 0)::decimal(38, 4) as contribution,
    profitability.share_of_contribution,
    profitability.cost_to_serve_to_revenue,
    profitability.avg_net_revenue,
    profitability.avg_gross_margin,
    profitability.avg_cost_to_serve,
    profitability.avg_contribution
from profitability
full join all_tiers
    on all_tiers.scheme = profitability.scheme and all_tiers.tier = profitability.tier
order by scheme, tier_order
