{#- One row per scheme x tier, plus a non_buyer row per scheme carrying the cost of serving
    non-buyers, so each scheme's rows add up to company_pnl. Every tier and the non_buyer row
    are present even when empty (zeros). -#}
{%- set members -%}
    select customer_id, scheme, tier, tier_name, tier_order from {{ ref('int_customer_scheme_tiers') }}
{%- endset -%}

{%- set categories -%}
    select scheme, tier, tier_name, tier_order from {{ ref('tier_schemes') }}
    union
    select distinct scheme, 'non_buyer', 'non-buyers', 99 from {{ ref('tier_schemes') }}
{%- endset -%}

with profitability as (
    {{ profitability_by(members, ['scheme', 'tier', 'tier_name', 'tier_order'], categories, partition=['scheme']) }}
)

select *
from profitability
order by scheme, tier_order
