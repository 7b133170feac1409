{#- One row per value x potential quadrant, plus non_buyer, each present even when empty;
    the rows add up to company_pnl. -#}
{%- set members -%}
    select customer_id, coalesce(quadrant, 'non_buyer') as quadrant
    from {{ ref('int_customer_segments') }}
{%- endset -%}

{%- set categories -%}
    select quadrant from {{ values_relation(['platinum', 'gold', 'iron', 'lead', 'non_buyer'], 'quadrant') }}
{%- endset -%}

with profitability as (
    {{ profitability_by(members, ['quadrant'], categories) }}
)

select * from profitability
order by case quadrant when 'platinum' then 1 when 'gold' then 2 when 'iron' then 3 when 'lead' then 4 else 5 end
