{%- set cascades = [] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['customer_id']) }}

with staged as (
    {{ with_delivery_state(rows_to_validate(ref('stg_customers'), 'customers', contract_key('customers'), cascades), contract_key('customers'), 'customers') }}
),

checked as (
    select
        *,
        nullif(concat_ws('; ',
            typing_errors,
            {{ contract_issues('customers') }},
            {{ conflict_reason('delivery_state') }}
        ), '') as issues
    from staged
)

select
    *,
    {{ verdict('delivery_state', 'issues') }}
from checked
