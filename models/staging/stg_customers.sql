{%- set columns = {
    'customer_id': 'text',
    'customer_name': 'text',
    'segment': 'text',
    'region': 'text',
    'created_date': 'date',
} -%}

with landed as (
    {{ landed_rows('customers', columns.keys() | list) }}
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
