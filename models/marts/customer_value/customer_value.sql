{#- A projection of int_customer_profitability (projection_mart_materialization). -#}
{{ config(materialized=projection_mart_materialization()) }}
select * from {{ ref('int_customer_profitability') }}
