{#- Per customer known at D and scheme: the computed tier, the assigned tier that the service
    follows (int_tier_assignments, seed tier_review_rules) and the distance to the next tier:
    the basis amount (net revenue, gross margin or contribution, as the scheme ranks) the
    customer needs to reach the next better tier's cut-off, everyone else unchanged. The
    cut-off of a share tier is the lowest basis value in it (at equal values customer_id
    decides), of a band tier its band_min; an empty share tier is skipped for the next
    non-empty better one. Tier A has no next tier; a non-buyer's next tier is the scheme's
    last, reached by any purchase (no amount). -#}
with schemes as (select * from {{ ref('tier_schemes') }}),

buyer_tiers as (select scheme, tier, basis_value from {{ ref('int_customer_scheme_tiers') }} where is_buyer),

cutoffs as (
    select s.scheme, s.tier, s.tier_order,
        case when s.scheme_kind = 'band' then s.band_min::decimal(38, 4) else min(p.basis_value) end as cutoff
    from schemes as s
    left join buyer_tiers as p on p.scheme = s.scheme and p.tier = s.tier
    group by s.scheme, s.tier, s.tier_order, s.scheme_kind, s.band_min
),

-- per scheme and tier, the nearest better tier with a cut-off (a few rows: tiers, not customers)
next_by_tier as (
    select t.scheme, t.tier_order, max_by(c.tier, c.tier_order) as next_tier, max_by(c.cutoff, c.tier_order) as next_tier_cutoff
    from cutoffs as t
    inner join cutoffs as c on c.scheme = t.scheme and c.tier_order < t.tier_order and c.cutoff is not null
    group by t.scheme, t.tier_order
),

last_tiers as (
    select scheme, max_by(tier, tier_order) as tier, any_value(basis) as basis from schemes group by scheme
)

select
    a.as_of_date,
    a.customer_id,
    a.scheme,
    a.scheme in (select scheme from schemes where is_default) as is_default_scheme,
    l.basis,
    a.basis_value,
    a.computed_tier,
    a.previous_assigned_tier,
    a.assigned_tier,
    a.assigned_since,
    a.next_review_date,
    a.assignment_reason,
    case when a.computed_tier = 'non_buyer' then l.tier else n.next_tier end as next_tier,
    n.next_tier_cutoff,
    -- greatest() skips nulls: no cut-off or no basis value must stay null
    case when n.next_tier_cutoff is not null and a.basis_value is not null
        then greatest(n.next_tier_cutoff - a.basis_value, 0)::decimal(38, 4)
    end as amount_to_next_tier
from {{ ref('int_tier_assignments') }} as a
-- a buyer's computed tier order finds its next tier (a non-buyer's 99 none)
left join next_by_tier as n on n.scheme = a.scheme and n.tier_order = a.computed_tier_order
left join last_tiers as l on l.scheme = a.scheme
