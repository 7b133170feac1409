{#- How concentrated buyers' profit is at D, in one row (read from whale_curve: buyers ranked by
    contribution, descending, ties by customer_id). The top p% of buyers are the first
    round-half-up(p x buyers) ranks, the bottom p% the same number of last ranks. Shares of
    buyers' total contribution follow macro signed_share (part / |total|; null for a zero total),
    so a group's share always has the sign of its contribution. -#}
with curve as (
    select * from {{ ref('whale_curve') }} where row_type = 'customer'
),

sized as (
    select
        count(*) as buyers,
        {{ round_half_up('0.2 * count(*)') }} as top_20_buyers,
        {{ round_half_up('0.3 * count(*)') }} as bottom_30_buyers,
        {{ round_half_up('0.1 * count(*)') }} as decile_buyers,
        coalesce(sum(contribution), 0) as total_contribution
    from curve
),

groups as (
    select
        any_value(sized.buyers) as buyers,
        any_value(sized.total_contribution) as total_contribution,
        any_value(sized.top_20_buyers) as top_20_buyers,
        coalesce(sum(curve.contribution) filter (where curve.customer_rank <= sized.top_20_buyers), 0) as top_20_contribution,
        any_value(sized.bottom_30_buyers) as bottom_30_buyers,
        coalesce(sum(curve.contribution) filter (where curve.customer_rank > sized.buyers - sized.bottom_30_buyers), 0) as bottom_30_contribution,
        count(curve.customer_rank) filter (where curve.contribution < 0) as unprofitable_buyers,
        coalesce(sum(curve.contribution) filter (where curve.contribution < 0), 0) as unprofitable_contribution,
        any_value(sized.decile_buyers) as decile_buyers,
        coalesce(sum(curve.contribution) filter (where curve.customer_rank <= sized.decile_buyers), 0) as top_10_contribution,
        coalesce(sum(curve.contribution) filter (where curve.customer_rank > sized.buyers - sized.decile_buyers), 0) as bottom_10_contribution
    from sized
    left join curve on true
),

peak as (
    select customer_rank as peak_buyers, cumulative_contribution as peak_contribution
    from {{ ref('whale_curve') }}
    where row_type = 'peak'
),

figures as (
    select
        groups.*,
        coalesce(peak.peak_buyers, 0) as peak_buyers,
        coalesce(peak.peak_contribution, 0) as peak_contribution
    from groups
    left join peak on true
)

select
    params.as_of_date::date as as_of_date,
    buyers::bigint as buyers,
    total_contribution::decimal(38, 4) as total_contribution,
    top_20_buyers::bigint as top_20_buyers,
    top_20_contribution::decimal(38, 4) as top_20_contribution,
    {{ signed_share('top_20_contribution', 'total_contribution') }} as top_20_share,
    bottom_30_buyers::bigint as bottom_30_buyers,
    bottom_30_contribution::decimal(38, 4) as bottom_30_contribution,
    {{ signed_share('bottom_30_contribution', 'total_contribution') }} as bottom_30_share,
    unprofitable_buyers::bigint as unprofitable_buyers,
    (unprofitable_buyers / nullif(buyers, 0))::double as unprofitable_buyer_share,
    unprofitable_contribution::decimal(38, 4) as unprofitable_contribution,
    {{ signed_share('unprofitable_contribution', 'total_contribution') }} as unprofitable_share,
    peak_buyers::bigint as peak_buyers,
    (peak_buyers / nullif(buyers, 0))::double as peak_buyer_share,
    peak_contribution::decimal(38, 4) as peak_contribution,
    {{ signed_share('peak_contribution', 'total_contribution') }} as peak_profit_share,
    decile_buyers::bigint as decile_buyers,
    top_10_contribution::decimal(38, 4) as top_10_contribution,
    {{ signed_share('top_10_contribution', 'total_contribution') }} as top_10_share,
    bottom_10_contribution::decimal(38, 4) as bottom_10_contribution,
    {{ signed_share('bottom_10_contribution', 'total_contribution') }} as bottom_10_share
from figures
cross join {{ ref('int_run_parameters') }} as params
