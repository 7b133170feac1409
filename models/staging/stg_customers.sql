{%- set columns = {
    'customer_id': 'text',
    'customer_name': 'text',
    'segment': 'text',
    'region': 'text',
    'created_date': 'date',
} -%}

{{ staged_rows('customers', columns) }}
