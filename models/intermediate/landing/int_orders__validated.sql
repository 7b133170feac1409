{%- set cascades = ['customer_id in ' ~ rejudged(ref('int_customers__validated'), 'customer_id')] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['order_id']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_orders'), 'orders', ['order_id'], cascades), ['order_id'], 'orders') }}
),

customers as ({{ parent_keys(ref('int_customers__validated'), 'customer_id') }}),

checked as (
    select
        staged.*,
        nullif(concat_ws('; ',
            staged.typing_errors,
            {{ missing('order_id') }},
            {{ missing('customer_id') }},
            {{ missing('order_ts') }},
            case when channel is null then 'channel is missing'
                 when channel not in ('field_sales', 'phone', 'web', 'partner')
                 then 'channel "' || channel || '" is not one of field_sales, phone, web, partner' end,
            case when status is null then 'status is missing'
                 when status not in ('completed', 'cancelled')
                 then 'status "' || status || '" is not one of completed, cancelled' end,
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
