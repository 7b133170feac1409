{%- set columns = {
    'invoice_id': 'text',
    'customer_id': 'text',
    'invoice_date': 'date',
    'due_date': 'date',
    'amount': 'money',
    'paid_date': 'date',
    'written_off': 'boolean',
} -%}

with landed as (
    {{ landed_rows('invoices', columns.keys() | list) }}
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
