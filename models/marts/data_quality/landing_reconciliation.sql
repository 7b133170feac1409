{%- set tables = var('contract_tables') -%}

with landed as (
    {%- for t in tables %}
    select '{{ t }}' as table_name, count(*) as rows_landed, count(distinct source_file) as files
    from {{ ref('stg_' ~ t) }}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

resolved as (
    {%- for t in tables %}
    select
        '{{ t }}' as table_name,
        count(*) filter (where row_status = 'accepted') as rows_accepted,
        count(*) filter (where row_status = 'quarantined') as rows_quarantined,
        count(*) filter (where row_status = 'superseded') as rows_superseded
    from {{ ref('int_' ~ t ~ '__validated') }}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
)

select
    landed.table_name::varchar as table_name,
    landed.files::bigint as files,
    landed.rows_landed::bigint as rows_landed,
    resolved.rows_accepted::bigint as rows_accepted,
    resolved.rows_quarantined::bigint as rows_quarantined,
    resolved.rows_superseded::bigint as rows_superseded,
    (landed.rows_landed = resolved.rows_accepted + resolved.rows_quarantined + resolved.rows_superseded) as is_reconciled
from landed
inner join resolved using (table_name)
order by table_name
