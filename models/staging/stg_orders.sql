{%- set columns = {
    'order_id': 'text',
    'customer_id': 'text',
    'order_ts': 'timestamp',
    'channel': 'code',
    'status': 'code',
} -%}

{{ staged_rows('orders', columns) }}
