{#- One row per loyalty x value grid cell (A-F), each present even when empty; every customer
    is in one cell, so the rows add up to company_pnl. -#}
{%- set members -%}
    select customer_id, value_grid from {{ ref('int_customer_segments') }}
{%- endset -%}

{%- set categories -%}
    select value_grid from {{ values_relation(['A', 'B', 'C', 'D', 'E', 'F'], 'value_grid') }}
{%- endset -%}

with profitability as (
    {{ profitability_by(members, ['value_grid'], categories) }}
)

select * from profitability
order by value_grid
