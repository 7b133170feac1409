{%- set cascades = ['order_id in ' ~ rejudged(ref('int_orders__validated'), 'order_id')] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['order_id', 'line_number']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_order_lines'), 'order_lines', ['order_id', 'line_number'], cascades), ['order_id', 'line_number'], 'order_lines') }}
),

orders as ({{ parent_keys(ref('int_orders__validated'), 'order_id') }}),

checked as (
    select
        staged.*,
        nullif(concat_ws('; ',
            staged.typing_errors,
            {{ missing('order_id') }},
            {{ missing('line_number') }},
            {{ missing('quantity') }},
            {{ missing('unit_price') }},
            {{ missing('discount_amount') }},
            {{ missing('unit_cost') }},
            case when quantity = 0 then 'quantity is zero' end,
            case when unit_price < 0 then 'unit_price is negative' end,
            case when discount_amount < 0 then 'discount_amount is negative' end,
            case when unit_cost < 0 then 'unit_cost is negative' end,
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
