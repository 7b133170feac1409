{#- Every buyer's tier in every scheme of seed tier_schemes.
    Ranking: basis value descending, ties broken by customer_id ascending (documented rule;
    deterministic). Share schemes: tier t holds ranks round-half-up(previous cumulative share
    x N) + 1 .. round-half-up(cumulative share x N), in exact decimal. Band schemes: the tier
    with the highest band_min not above the basis value. -#}
-- read only by int_customer_scheme_tiers, the one source of a customer's tier: a view
{{ config(materialized='view') }}

with schemes as (select * from {{ ref('tier_schemes') }}),

scheme_list as (
    select distinct scheme, scheme_kind, basis from schemes
),

buyers as (
    select p.customer_id, p.net_revenue, p.gross_margin, p.contribution, score.multi_factor_score
    from {{ ref('int_customer_profitability') }} as p
    left join {{ ref('int_customer_tier_score') }} as score on score.customer_id = p.customer_id
    where p.is_buyer
),

bases as (
    select distinct basis from schemes
),

-- one ranking per basis, shared by every scheme on it
basis_ranks as (
    select
        basis,
        customer_id,
        basis_value,
        row_number() over (partition by basis order by basis_value desc, customer_id asc) as tier_rank
    from (
        select
            bases.basis,
            buyers.customer_id,
            -- each branch cast alone: a case over decimal(38,2) and decimal(38,4) rounds to 2 decimals
            case bases.basis
                when 'net_revenue' then buyers.net_revenue::decimal(38, 4)
                when 'gross_margin' then buyers.gross_margin::decimal(38, 4)
                when 'multi_factor_score' then buyers.multi_factor_score::decimal(38, 4)
                else buyers.contribution::decimal(38, 4)
            end as basis_value
        from bases
        cross join buyers
    ) as basis_values
),

-- every scheme ranks every buyer
buyer_count as (
    select count(*) as buyers from buyers
),

ranked_numbered as (
    select
        scheme_list.scheme,
        scheme_list.scheme_kind,
        scheme_list.basis,
        basis_ranks.customer_id,
        basis_ranks.basis_value,
        basis_ranks.tier_rank,
        buyer_count.buyers as scheme_buyers
    from scheme_list
    inner join basis_ranks on basis_ranks.basis = scheme_list.basis
    cross join buyer_count
),

-- rank bounds per scheme and tier, computed once (not once per buyer)
share_bounds as (
    select
        bounds.scheme, bounds.tier, bounds.tier_name, bounds.tier_order,
        {{ round_half_up('bounds.previous_share * buyer_count.buyers') }}::bigint as first_rank_after,
        {{ round_half_up('bounds.cumulative_share * buyer_count.buyers') }}::bigint as last_rank
    from (
        select
            scheme, tier, tier_name, tier_order, cumulative_share,
            coalesce(lag(cumulative_share) over (partition by scheme order by tier_order), 0) as previous_share
        from schemes
        where scheme_kind = 'share'
    ) as bounds
    cross join buyer_count
),

share_tiers as (
    select r.*, b.tier, b.tier_name, b.tier_order
    from ranked_numbered as r
    inner join share_bounds as b
        on b.scheme = r.scheme
        and r.tier_rank > b.first_rank_after
        and r.tier_rank <= b.last_rank
),

band_tiers as (
    select r.*, b.tier, b.tier_name, b.tier_order
    from ranked_numbered as r
    inner join schemes as b
        on b.scheme = r.scheme and b.scheme_kind = 'band'
        and (b.band_min is null or r.basis_value >= b.band_min)
    qualify row_number() over (partition by r.scheme, r.customer_id order by b.tier_order) = 1
)

select scheme, scheme_kind, basis, customer_id, basis_value, tier_rank, scheme_buyers, tier, tier_name, tier_order
from share_tiers
union all
select scheme, scheme_kind, basis, customer_id, basis_value, tier_rank, scheme_buyers, tier, tier_name, tier_order
from band_tiers
