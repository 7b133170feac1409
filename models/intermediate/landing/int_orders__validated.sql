{%- set cascades = ['customer_id in ' ~ rejudged(ref('int_customers__validated'), 'customer_id')] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['order_id']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_orders'), 'orders', contract_key('orders'), cascades), contract_key('orders'), 'orders') }}
),

customers as ({{ parent_keys(ref('int_customers__validated'), 'customer_id') }}),

checked as (
    select
        staged.*,
        nullif(concat_ws('; ',
            staged.typing_errors,
            {{ contract_issues('orders') }},
            {{ reference_reason('customers', 'staged.customer_id', 'customer') }},
            {{ conflict_reason('delivery_state') }}
        ), '') as issues
    from staged
    left join customers on customers.ref_key = staged.customer_id
)

select
    *,
    {{ verdict('delivery_state', 'issues') }}
from checked
