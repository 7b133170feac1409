{%- set cascades = ['order_id in ' ~ rejudged(ref('int_orders__validated'), 'order_id')] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['order_id', 'line_number']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_order_lines'), 'order_lines', contract_key('order_lines'), cascades), contract_key('order_lines'), 'order_lines') }}
),

orders as ({{ parent_keys(ref('int_orders__validated'), 'order_id') }}),

checked as (
    select
        staged.*,
        nullif(concat_ws('; ',
            staged.typing_errors,
            {{ contract_issues('order_lines') }},
            {{ reference_reason('orders', 'staged.order_id', 'order') }},
            {{ conflict_reason('delivery_state') }}
        ), '') as issues
    from staged
    left join orders on orders.ref_key = staged.order_id
)

select
    *,
    {{ verdict('delivery_state', 'issues') }}
from checked
