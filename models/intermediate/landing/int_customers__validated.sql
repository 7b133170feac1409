{%- set cascades = [] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['customer_id']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_customers'), 'customers', ['customer_id'], cascades), ['customer_id'], 'customers') }}
),

checked as (
    select
        *,
        nullif(concat_ws('; ',
            typing_errors,
            {{ missing('customer_id') }},
            {{ missing('created_date') }},
            {{ conflict_reason('delivery_state') }}
        ), '') as issues
    from staged
)

select
    *,
    {{ verdict('delivery_state', 'issues') }}
from checked
