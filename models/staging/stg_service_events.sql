{%- set columns = {
    'event_id': 'text',
    'customer_id': 'text',
    'event_ts': 'timestamp',
    'activity': 'text',
    'quantity': 'money',
} -%}

{{ staged_rows('service_events', columns) }}
