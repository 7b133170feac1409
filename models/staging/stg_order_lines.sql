{%- set columns = {
    'order_id': 'text',
    'line_number': 'integer',
    'product_id': 'text',
    'quantity': 'integer',
    'unit_price': 'money',
    'discount_amount': 'money',
    'unit_cost': 'money',
} -%}

with landed as (
    {{ landed_rows('order_lines', columns.keys() | list) }}
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
