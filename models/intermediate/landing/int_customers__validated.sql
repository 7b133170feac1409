{%- set cascades = [] -%}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['customer_id']) }}

with to_validate as (
    {{ rows_to_validate(ref('stg_customers'), 'customers', ['customer_id'], cascades) }}
),

staged as (
    {{ with_delivery_state('to_validate', ['customer_id']) }}
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
    {{ row_status('delivery_state', 'issues') }} as row_status,
    '{{ invocation_id }}' as validated_in
from checked
