{%- set schemes = run_query('select distinct scheme from ' ~ ref('tier_schemes') ~ ' order by scheme').columns[0].values() if execute else [] -%}

with pyramid as (
    select * from {{ ref('int_customer_pyramid') }}
),

default_scheme as (
    select distinct scheme from {{ ref('tier_schemes') }} where is_default
),

default_tiers as (
    select pyramid.* from pyramid inner join default_scheme using (scheme)
),

-- every buyer has a tier in every scheme; one filtered max per scheme is far cheaper than an
-- ordered list per customer
all_schemes as (
    select
        customer_id,
        map(
            [{% for s in schemes %}{{ sql_string(s) }}{% if not loop.last %}, {% endif %}{% endfor %}],
            [{% for s in schemes %}max(tier) filter (where scheme = {{ sql_string(s) }}){% if not loop.last %}, {% endif %}{% endfor %}]
        ) as scheme_tiers
    from pyramid
    group by customer_id
),

policies as (
    select * from {{ ref('service_policies') }}
)

select
    p.as_of_date,
    p.customer_id,
    p.customer_name,
    p.is_buyer,
    p.buyer_status,
    p.net_revenue,
    p.gross_margin,
    p.cost_to_serve,
    p.contribution,
    p.recency_days,
    (select scheme from default_scheme) as pyramid_scheme,
    d.basis as pyramid_basis,
    d.basis_value as pyramid_basis_value,
    d.tier_rank::bigint as pyramid_rank,
    d.tier as pyramid_tier,
    d.tier_name as pyramid_tier_name,
    coalesce(s.scheme_tiers, map())::map(varchar, varchar) as scheme_tiers,
    seg.quadrant,
    seg.potential,
    seg.predicted_revenue_12m,
    seg.p_alive,
    seg.revenue_trend,
    seg.value_grid,
    seg.loyalty_score,
    seg.tenure_days::integer as tenure_days,
    seg.active_months::integer as active_months,
    seg.lifecycle_stage,
    seg.problem_flags,
    seg.problem_flags is not null as is_problem,
    pol.tier as service_policy_tier,
    pol.account_manager,
    pol.call_answer_target_pct,
    pol.call_answer_within_seconds,
    pol.contact_cadence,
    pol.service_channel,
    pol.small_balance_threshold,
    pol.small_balance_monthly_fee,
    -- the fee as fee_income charges it (seed small_balance_fee_charging decides who pays)
    svc.small_balance_fee_applies
from {{ ref('int_customer_profitability') }} as p
left join default_tiers as d on d.customer_id = p.customer_id
left join all_schemes as s on s.customer_id = p.customer_id
left join {{ ref('int_customer_segments') }} as seg on seg.customer_id = p.customer_id
left join {{ ref('int_customer_service_tier') }} as svc on svc.customer_id = p.customer_id
-- the service policy follows the assigned tier of the default scheme (int_customer_service_tier)
left join policies as pol on pol.tier = svc.tier
