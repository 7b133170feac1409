{#- One primary action per customer known at D, with the rule that chose it (seed action_rules,
    first fitting rule by rule_order) and the facts behind it. -#}
select
    a.as_of_date::date as as_of_date,
    a.customer_id::varchar as customer_id,
    a.customer_name::varchar as customer_name,
    a.tier::varchar as tier,
    a.buyer_status::varchar as buyer_status,
    a.quadrant::varchar as quadrant,
    a.lifecycle_stage::varchar as lifecycle_stage,
    a.problem_flags::varchar as problem_flags,
    a.over_served::boolean as over_served,
    a.under_served::boolean as under_served,
    a.small_balance_fee_applies::boolean as small_balance_fee_applies,
    a.small_balance_fee_per_year::decimal(38, 2) as small_balance_fee_per_year,
    a.action::varchar as action,
    a.rule_id::varchar as rule_id,
    a.matching_rules::varchar as matching_rules,
    a.reasons::varchar as reasons
from {{ ref('int_customer_actions') }} as a
