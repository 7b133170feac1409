{#- Per customer known at D: the tier whose service policy applies (the assigned tier of the
    default pyramid scheme, non_buyer included), its planned contacts per year and the small-balance fee it is charged. The fee
    applies when average monthly net revenue (window revenue / 12) is below the tier's
    threshold and seed small_balance_fee_charging charges the customer's buyer status. -#}
with default_tiers as (  -- the assigned tier (int_tier_assignments), not the computed one
    select assignments.customer_id, assignments.assigned_tier as tier
    from {{ ref('int_tier_assignments') }} as assignments
    inner join (select distinct scheme from {{ ref('tier_schemes') }} where is_default) as d using (scheme)
),

customers as (
    select
        p.as_of_date,
        p.customer_id,
        p.customer_name,
        p.is_buyer,
        p.buyer_status,
        p.net_revenue,
        coalesce(t.tier, 'non_buyer') as tier,
        pol.tier_order,
        pol.contact_cadence,
        pol.service_channel,
        pol.contacts_per_year,
        pol.small_balance_threshold,
        pol.small_balance_monthly_fee,
        pol.small_balance_monthly_fee > 0
            and p.net_revenue / 12 < pol.small_balance_threshold
            and charging.fee_charged as small_balance_fee_applies
    from {{ ref('int_customer_profitability') }} as p
    left join default_tiers as t on t.customer_id = p.customer_id
    left join {{ ref('int_tier_service_policies') }} as pol on pol.tier = coalesce(t.tier, 'non_buyer')
    left join {{ ref('small_balance_fee_charging') }} as charging on charging.buyer_status = p.buyer_status
)

select
    *,
    (case when small_balance_fee_applies then small_balance_monthly_fee * 12 else 0 end)::decimal(38, 2)
        as small_balance_fee_per_year
from customers
