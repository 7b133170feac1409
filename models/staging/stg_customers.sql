{%- set columns = {
    'customer_id': 'text',
    'customer_name': 'text',
    'segment': 'text',
    'region': 'text',
    'created_date': 'date',
} -%}

select
    *,
    cast(null as varchar) as industry,
    cast(null as integer) as employee_count,
    cast(null as decimal(18, 2)) as annual_revenue
from ({{ staged_rows('customers', columns) }}) as staged
