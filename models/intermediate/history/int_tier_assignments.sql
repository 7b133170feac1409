{#- The assigned tier of every customer known at D in every scheme (seed tier_review_rules). The
    computed tier is the scheme's tier at D from int_customer_scheme_tiers (non_buyer without a
    purchase in the window; for the band distance one step after the scheme's last tier). The
    previous assignment is the one of the last stored snapshot before D; an assignment to a tier
    the scheme no longer has counts as none. In order: no previous assignment ->
    first_assignment; D on or after its next_review_date -> review_date; computed tier more than
    band_steps (of the assigned tier) steps away -> beyond_band; else kept. A new assignment
    takes the computed tier, is reviewed review_months (of that tier) after D, and is assigned
    since D (a review that confirms the tier keeps the date since when it holds).
    computed_tier_order (99 for non_buyer) and basis_value come along from
    int_customer_scheme_tiers for assigned_tiers, is_buyer for the tier snapshot's scheme_tiers. -#}
with rules as (select * from {{ ref('tier_review_rules') }}),

tiers as (
    select scheme, tier, tier_order from {{ ref('tier_schemes') }}
    union all
    select scheme, 'non_buyer', max(tier_order) + 1 from {{ ref('tier_schemes') }} group by scheme
),

computed as (
    select
        as_of_date, customer_id, scheme, is_buyer, tier as computed_tier, tier_order as computed_tier_order, basis_value
    from {{ ref('int_customer_scheme_tiers') }}
),

previous as (select * from {{ ref('int_stored_tier_assignments') }} where is_newest_stored),

decided as (
    select
        c.as_of_date,
        c.customer_id,
        c.scheme,
        c.computed_tier,
        c.computed_tier_order,
        c.basis_value,
        c.is_buyer,
        prev.assigned_tier as previous_assigned_tier,
        prev.assigned_since as previous_assigned_since,
        prev.next_review_date as previous_next_review_date,
        case
            when pt.tier is null then 'first_assignment'
            when c.as_of_date >= prev.next_review_date then 'review_date'
            when abs(ct.tier_order - pt.tier_order) > band.band_steps then 'beyond_band'
            else 'kept'
        end as assignment_reason
    from computed as c
    inner join tiers as ct on ct.scheme = c.scheme and ct.tier = c.computed_tier
    left join previous as prev on prev.customer_id = c.customer_id and prev.scheme = c.scheme
    left join tiers as pt on pt.scheme = c.scheme and pt.tier = prev.assigned_tier
    left join rules as band on band.scheme = c.scheme and band.tier = prev.assigned_tier
),

assigned as (
    select
        *,
        case when assignment_reason = 'kept' then previous_assigned_tier else computed_tier end as assigned_tier
    from decided
)

select
    a.as_of_date,
    a.customer_id,
    a.scheme,
    a.computed_tier,
    a.previous_assigned_tier,
    a.assigned_tier,
    case
        when a.assignment_reason = 'kept' then a.previous_assigned_since
        when a.assignment_reason = 'review_date' and a.assigned_tier = a.previous_assigned_tier
            then a.previous_assigned_since
        else a.as_of_date
    end as assigned_since,
    case
        when a.assignment_reason = 'kept' then a.previous_next_review_date
        else {{ add_months('a.as_of_date', 'review.review_months') }}
    end as next_review_date,
    a.assignment_reason,
    a.computed_tier_order,
    a.basis_value,
    a.is_buyer
from assigned as a
left join rules as review on review.scheme = a.scheme and review.tier = a.assigned_tier
