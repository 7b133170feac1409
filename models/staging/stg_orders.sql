{%- set columns = {
    'order_id': 'text',
    'customer_id': 'text',
    'order_ts': 'timestamp',
    'channel': 'code',
    'status': 'code',
} -%}

with landed as (
    {{ landed_rows('orders', columns.keys() | list) }}
),

typed as (
    select
        {{ typed_columns(columns) }},
        {{ typing_errors(columns) }} as typing_errors,
        source_file,
        landed_record,
        hash(landed_record) as landed_hash
    from landed
)

select * from typed
