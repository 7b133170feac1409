with default_tiers as (
    select * from {{ ref('int_customer_scheme_tiers') }} where is_default_scheme
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
    d.scheme as pyramid_scheme,
    d.basis as pyramid_basis,
    d.basis_value as pyramid_basis_value,
    d.tier_rank as pyramid_rank,
    case when p.is_buyer then d.tier end as pyramid_tier,
    case when p.is_buyer then d.tier_name end as pyramid_tier_name,
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
left join {{ ref('int_customer_segments') }} as seg on seg.customer_id = p.customer_id
left join {{ ref('int_customer_service_tier') }} as svc on svc.customer_id = p.customer_id
-- the service policy follows the assigned tier of the default scheme (int_customer_service_tier)
left join policies as pol on pol.tier = svc.tier
