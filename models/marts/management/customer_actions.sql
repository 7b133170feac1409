{#- One primary action per customer known at D, with the rule that chose it (seed action_rules,
    first fitting rule by rule_order) and the facts behind it. A projection of
    int_customer_actions (projection_mart_materialization). -#}
{{ config(materialized=projection_mart_materialization()) }}
select
    a.as_of_date::date as as_of_date,
    a.customer_id::string as customer_id,
    a.customer_name::string as customer_name,
    a.tier::string as tier,
    a.buyer_status::string as buyer_status,
    a.quadrant::string as quadrant,
    a.lifecycle_stage::string as lifecycle_stage,
    a.problem_flags::string as problem_flags,
    a.over_served::boolean as over_served,
    a.under_served::boolean as under_served,
    a.small_balance_fee_applies::boolean as small_balance_fee_applies,
    a.small_balance_fee_per_year::decimal(38, 2) as small_balance_fee_per_year,
    a.action::string as action,
    a.rule_id::string as rule_id,
    a.matching_rules::string as matching_rules,
    a.reasons::string as reasons
from {{ ref('int_customer_actions') }} as a
