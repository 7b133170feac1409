{%- set tables = var('contract_tables') -%}

with quarantined as (
    {%- for t in tables %}
    {%- set staged = ref('stg_' ~ t) %}
    {%- set values = adapter.get_columns_in_relation(staged) | map(attribute='name')
                     | reject('in', ['typing_errors', 'landed_record', 'source_file']) | list if execute else [] %}
    select
        '{{ t }}' as table_name,
        source_file,
        {{ record_key(t) }} as record_key,
        issues as reason,
        -- as delivered: the delivered text where a value did not convert, else the typed values
        {%- set fields = {} -%}
        {%- for c in values %}{% do fields.update({c: c ~ '::string'}) %}{% endfor %}
        coalesce(landed_record, {{ json_object(fields) }}) as landed_record
    from {{ ref('int_' ~ t ~ '__validated') }}
    where row_status = 'quarantined'
    union all
    {%- endfor %}
    -- malformed rows (wrong field count, broken quoting, invalid UTF-8): never read, kept as raw text
    select table_name, source_file, null, reason, raw_text
    from {{ inventory_rows('malformed_rows_file', malformed_rows_prototype()) }}
)

select
    params.as_of_date,
    table_name::string as table_name,
    source_file::string as source_file,
    record_key::string as record_key,
    reason::string as reason,
    landed_record::string as landed_record
from quarantined
cross join {{ ref('int_run_parameters') }} as params
order by table_name, source_file, record_key nulls first, reason, landed_record
