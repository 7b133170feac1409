{#- One primary action per customer known at D from the ordered rules of seed action_rules: a
    rule fits when the customer meets every condition it sets (a blank condition means any;
    lists are separated by ';'; problem_contains is a phrase of the problem flags). The fitting
    rule with the lowest rule_order wins (rule_order is unique, so there is no tie);
    matching_rules lists every fitting rule in order. -#}
with rules as (
    select
        rule_id,
        rule_order,
        action,
        split(tiers, ';') as tiers,
        split(buyer_statuses, ';') as buyer_statuses,
        split(quadrants, ';') as quadrants,
        split(lifecycle_stages, ';') as lifecycle_stages,
        problem_contains,
        service_exception,
        small_balance_fee,
        description
    from {{ ref('action_rules') }}
),

exceptions as (
    select
        customer_id,
        bool_or(exception = 'over_served') as over_served,
        bool_or(exception = 'under_served') as under_served,
        {{ ordered_string_agg("exception || ' ' || reason", "'; '", ['exception', 'activity']) }} as service_exceptions
    from {{ ref('int_customer_service_exceptions') }}
    group by customer_id
),

customers as (
    select
        c.as_of_date,
        c.customer_id,
        c.customer_name,
        c.tier,
        c.buyer_status,
        s.quadrant,
        s.lifecycle_stage,
        s.problem_flags,
        coalesce(e.over_served, false) as over_served,
        coalesce(e.under_served, false) as under_served,
        e.service_exceptions,
        c.small_balance_fee_applies,
        c.small_balance_fee_per_year
    from {{ ref('int_customer_service_tier') }} as c
    left join {{ ref('int_customer_segments') }} as s on s.customer_id = c.customer_id
    left join exceptions as e on e.customer_id = c.customer_id
),

fits as (
    select c.customer_id, r.rule_id, r.rule_order
    from customers as c
    inner join rules as r
        on (r.tiers is null or array_contains(r.tiers, c.tier))
        and (r.buyer_statuses is null or array_contains(r.buyer_statuses, c.buyer_status))
        and (r.quadrants is null or array_contains(r.quadrants, c.quadrant))
        and (r.lifecycle_stages is null or array_contains(r.lifecycle_stages, c.lifecycle_stage))
        and (r.problem_contains is null or contains(c.problem_flags, r.problem_contains))
        and (r.service_exception is null
             or (r.service_exception = 'over_served' and c.over_served)
             or (r.service_exception = 'under_served' and c.under_served))
        and (r.small_balance_fee is null or r.small_balance_fee = c.small_balance_fee_applies)
),

first_fit as (
    select
        customer_id,
        min(rule_order) as rule_order,
        {{ ordered_string_agg('rule_id', "'; '", ['rule_order']) }} as matching_rules
    from fits
    group by customer_id
)

select
    c.*,
    r.rule_id,
    r.action,
    f.matching_rules,
    concat_ws('; ',
        r.description,
        'tier ' || c.tier,
        'quadrant ' || c.quadrant,
        'lifecycle ' || c.lifecycle_stage,
        c.problem_flags,
        c.service_exceptions,
        case when c.small_balance_fee_applies then 'small-balance fee ' || c.small_balance_fee_per_year::string || ' a year' end
    ) as reasons
from customers as c
left join first_fit as f on f.customer_id = c.customer_id
left join rules as r on r.rule_order = f.rule_order
