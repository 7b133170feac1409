{%- set columns = {
    'activity': 'text',
    'driver_unit': 'text',
    'rate_per_unit': 'money',
    'valid_from': 'date',
    'valid_to': 'date',
} -%}

{{ staged_rows('activity_rates', columns) }}
