{%- set columns = {
    'activity': 'text',
    'driver_unit': 'text',
    'rate_per_unit': 'money',
    'valid_from': 'date',
    'valid_to': 'date',
} -%}

with landed as (
    {{ landed_rows('activity_rates', columns.keys() | list) }}
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
