{%- set tables = ['customers', 'orders', 'order_lines', 'service_events', 'invoices', 'activity_rates'] -%}

with quarantined as (
    {%- for t in tables %}
    select table_name, source_file, record_key, issues as reason, to_json(landed_record)::varchar as landed_record
    from {{ ref('int_' ~ t ~ '__validated') }}
    where row_status = 'quarantined'
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    table_name::varchar as table_name,
    source_file::varchar as source_file,
    record_key::varchar as record_key,
    reason::varchar as reason,
    landed_record::varchar as landed_record
from quarantined
order by table_name, source_file, record_key nulls first, reason, landed_record
