{#- Read every delivery file of one contract table from var('landing_dir').
    CSV and Parquet may be mixed; every value arrives as text so that typing is done
    (and failures are caught) in staging. One row per landed row, with its file. In an
    incremental run only files not read before are read (deliveries add files). -#}
{% macro landed_rows(table, columns) %}
    {%- set folder = var('landing_dir') ~ '/' ~ table -%}
    {%- set csv_files = landing_files(folder, 'csv') -%}
    {%- set parquet_files = landing_files(folder, 'parquet') -%}
    {%- if execute and not csv_files and not parquet_files -%}
        {{ exceptions.warn("landing table '" ~ table ~ "' has no files in " ~ folder ~ ": it is read as zero rows") }}
    {%- endif %}
    {%- if execute and is_incremental() -%}
        {%- set loaded = run_query("select distinct source_file from " ~ this).columns[0].values() | list -%}
        {%- set csv_files = csv_files | reject('in', loaded) | list -%}
        {%- set parquet_files = parquet_files | reject('in', loaded) | list -%}
    {%- endif %}
    select
        {%- for column in columns %}
        {{ column }}::varchar as {{ column }},
        {%- endfor %}
        struct_pack({% for column in columns %}{{ column }} := {{ column }}::varchar{% if not loop.last %}, {% endif %}{% endfor %}) as landed_record,
        filename as source_file
    from (
        select {% for column in columns %}null::varchar as {{ column }}, {% endfor %}null::varchar as filename
        where false
        {%- if csv_files %}
        union all by name
        select * from read_csv({{ sql_list(csv_files) }}, header = true, all_varchar = true,
                               union_by_name = true, filename = true)
        {%- endif %}
        {%- if parquet_files %}
        union all by name
        select * from read_parquet({{ sql_list(parquet_files) }}, union_by_name = true, filename = true)
        {%- endif %}
    )
{% endmacro %}

{% macro landing_files(folder, extension) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set result = run_query("select file from glob(" ~ sql_string(folder ~ '/*.' ~ extension) ~ ") order by file") -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}

{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{% macro sql_list(values) -%}
    [{% for v in values %}{{ sql_string(v) }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{#- Tier snapshots of earlier as-of dates, kept by the pipeline as
    <history_dir>/as_of=YYYY-MM-DD/tier_snapshot.parquet; none yet is zero rows. -#}
{% macro history_rows(columns) %}
    {%- set files = landing_files(var('history_dir') ~ '/as_of=*', 'parquet') -%}
    {%- if files %}
    select {{ columns | join(', ') }} from read_parquet({{ sql_list(files) }}, union_by_name = true)
    {%- else %}
    select {{ columns | join(', ') }} from {{ ref('int_tier_snapshot') }} where false
    {%- endif %}
{% endmacro %}
