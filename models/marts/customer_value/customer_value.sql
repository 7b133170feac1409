{#- A view: a copy of int_customer_profitability would only be written again by the publish. -#}
{{ config(materialized='view') }}
select * from {{ ref('int_customer_profitability') }}
