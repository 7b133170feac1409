{%- set columns = {
    'event_id': 'text',
    'customer_id': 'text',
    'event_ts': 'timestamp',
    'activity': 'text',
    'quantity': 'money',
} -%}

with landed as (
    {{ landed_rows('service_events', columns.keys() | list) }}
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
