{%- set columns = {
    'invoice_id': 'text',
    'customer_id': 'text',
    'invoice_date': 'date',
    'due_date': 'date',
    'amount': 'money',
    'paid_date': 'date',
    'written_off': 'boolean',
} -%}

{{ staged_rows('invoices', columns) }}
