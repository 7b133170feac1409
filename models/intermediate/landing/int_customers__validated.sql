{{ config(materialized='table') }}

with staged as (
    {{ with_delivery_state(ref('stg_customers'), ['customer_id']) }}
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
    'customers' as table_name,
    customer_id as record_key,
    *,
    {{ row_status('delivery_state', 'issues') }} as row_status
from checked
