{#- One row per loyalty x value grid cell (A-F); every customer is in one cell, so the rows add up to company_pnl. -#}
{%- set members -%}
    select customer_id, value_grid from {{ ref('int_customer_segments') }}
{%- endset -%}

with profitability as (
    {{ profitability_by(members, ['value_grid']) }}
)

select * from profitability
order by value_grid
