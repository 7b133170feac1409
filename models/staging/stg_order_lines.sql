{%- set columns = {
    'order_id': 'text',
    'line_number': 'integer',
    'product_id': 'text',
    'quantity': 'integer',
    'unit_price': 'money',
    'discount_amount': 'money',
    'unit_cost': 'money',
} -%}

{{ staged_rows('order_lines', columns) }}
