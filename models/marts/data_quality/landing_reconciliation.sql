{%- set tables = var('contract_tables') -%}
{%- set inventory = landing_inventory() -%}

{#- Rows landed are the landing inventory's count of each readable file's good rows (its scan
    before dbt ran, tiering/landing.py), not a second read of the files: every landed row must
    come out of staging and validation with exactly one verdict, so a row lost or doubled on the
    way makes the table unreconciled. -#}
with landed as (  -- readable files and their good rows, from the landing inventory
    select * from (values
    {%- for t in tables %}
        {%- set files = landing_table_files(t, inventory) %}
        ('{{ t }}', {{ files | length }}, {{ files | sum(attribute='rows') }}){% if not loop.last %},{% endif %}
    {%- endfor %}
    ) as f (table_name, files, rows_read)
),

malformed as (
    select table_name, count(*) as rows_malformed
    from {{ inventory_rows('malformed_rows_file', malformed_rows_prototype(), inventory) }}
    group by table_name
),

rejected as (
    select table_name, count(*) as files_rejected
    from {{ inventory_rows('rejected_files_file', rejected_files_prototype(), inventory) }}
    group by table_name
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
),

counted as (
    select
        table_name,
        landed.files,
        landed.rows_read + coalesce(malformed.rows_malformed, 0) as rows_landed,
        resolved.rows_accepted,
        resolved.rows_quarantined,
        resolved.rows_superseded,
        coalesce(malformed.rows_malformed, 0) as rows_malformed,
        coalesce(rejected.files_rejected, 0) as files_rejected
    from landed
    inner join resolved using (table_name)
    left join malformed using (table_name)
    left join rejected using (table_name)
)

select
    params.as_of_date,
    table_name::string as table_name,
    files::bigint as files,
    rows_landed::bigint as rows_landed,
    rows_accepted::bigint as rows_accepted,
    rows_quarantined::bigint as rows_quarantined,
    rows_superseded::bigint as rows_superseded,
    rows_malformed::bigint as rows_malformed,
    files_rejected::bigint as files_rejected,
    (rows_landed = rows_accepted + rows_quarantined + rows_superseded + rows_malformed) as is_reconciled
from counted
cross join {{ ref('int_run_parameters') }} as params
order by table_name
