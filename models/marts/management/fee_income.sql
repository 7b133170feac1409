{#- Small-balance fee income a year per tier of the default pyramid (non_buyer included): the
    monthly fee x 12 for every customer it is charged to (seed service_policies for threshold and
    fee, small_balance_fee_charging for which buyer statuses pay). -#}
with customers as (
    select
        tier,
        count(*) as customers,
        count(*) filter (where is_buyer) as buyers,
        count(*) filter (where net_revenue / 12 < small_balance_threshold) as customers_below_threshold,
        count(*) filter (where small_balance_fee_applies) as customers_charged,
        sum(small_balance_fee_per_year) as fee_income_per_year
    from {{ ref('int_customer_service_tier') }}
    group by tier
)

select
    params.as_of_date::date as as_of_date,
    pol.tier::string as tier,
    pol.tier_order::integer as tier_order,
    pol.small_balance_threshold::decimal(18, 2) as small_balance_threshold,
    pol.small_balance_monthly_fee::decimal(18, 2) as small_balance_monthly_fee,
    coalesce(c.customers, 0)::bigint as customers,
    coalesce(c.buyers, 0)::bigint as buyers,
    coalesce(c.customers_below_threshold, 0)::bigint as customers_below_threshold,
    coalesce(c.customers_charged, 0)::bigint as customers_charged,
    coalesce(c.fee_income_per_year, 0)::decimal(38, 2) as fee_income_per_year
from {{ ref('int_tier_service_policies') }} as pol
cross join {{ ref('int_run_parameters') }} as params
left join customers as c on c.tier = pol.tier
