{#- Every landed row of one contract table, typed (see typing.sql): the contract columns,
    typing_errors, landed_record (the row's values as delivered, JSON of text, kept for rows with
    a value that did not convert; the typed values are the delivered ones otherwise) and
    source_file.
    CSV and Parquet may be mixed; CSV is read as text, Parquet files are grouped by their
    stored column types so each group is typed without a round trip through text. A query
    filtering on source_file reads only those files. -#}
{% macro staged_rows(table, columns) %}
    {%- set folder = landing_folder(table) -%}
    {%- set csv_files = landing_files(folder, 'csv') -%}
    {%- set parquet_groups = parquet_files_by_types(landing_files(folder, 'parquet'), columns) -%}
    {%- if execute and not csv_files and not parquet_groups -%}
        {{ exceptions.warn("landing table '" ~ table ~ "' has no files in " ~ folder ~ ": it is read as zero rows") }}
    {%- endif %}
    {%- set text_types = {} -%}
    {%- for column in columns %}{% do text_types.update({column: 'VARCHAR'}) %}{% endfor -%}
    {%- set prototype -%}
        select {% for column in columns %}null::varchar as {{ column }}, {% endfor %}null::varchar as filename where false
    {%- endset %}
    {%- set sources = [] -%}
    {%- if csv_files -%}
        {%- do sources.append((text_types, '(' ~ prototype ~ ' union all by name select * from read_csv(' ~ sql_list(csv_files)
                                ~ ', header = true, all_varchar = true, union_by_name = true, filename = true))')) -%}
    {%- endif -%}
    {%- for group in parquet_groups -%}
        {%- do sources.append((group.types, 'read_parquet(' ~ sql_list(group.files) ~ ', union_by_name = true, filename = true)')) -%}
    {%- endfor -%}
    {%- for types, source in (sources or [(text_types, '(' ~ prototype ~ ')')]) %}
    {{ typed_branch(columns, types, source) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- Typed rows of one source whose columns have the stored types `types`. -#}
{% macro typed_branch(columns, types, source) %}
    {%- set typed = {} -%}
    {%- for column, kind in columns.items() %}{% do typed.update({column: typed_value(column, kind, types.get(column))}) %}{% endfor -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        typing_errors,
        case when typing_errors is not null then to_json(struct_pack(
            {%- for column in columns %}{{ column }} := __landed_{{ column }}::varchar{% if not loop.last %}, {% endif %}{% endfor -%}
        ))::varchar end as landed_record,
        source_file
    from (
        select *, {{ typing_errors(typed, columns) }} as typing_errors
        from (
            select
                {%- for column in columns %}
                {{ typed[column].sql }} as {{ column }},
                {{ column if types.get(column) else 'null::varchar' }} as __landed_{{ column }},
                {%- endfor %}
                filename as source_file
            from {{ source }}
        )
    )
{% endmacro %}

{#- Parquet files grouped by the stored types of the contract columns:
    [{'types': {column: DuckDB type}, 'files': [...]}], in file order of each group's first file. -#}
{% macro parquet_files_by_types(files, columns) %}
    {%- if not files -%}{{ return([]) }}{%- endif -%}
    {%- set names = columns.keys() | list -%}
    {%- set schema = run_query("select file_name, lower(name), duckdb_type from parquet_schema(" ~ sql_list(files)
                               ~ ") where num_children is null and lower(name) in " ~ sql_in_list(names)) -%}
    {%- set by_file = {} -%}
    {%- for row in schema.rows -%}
        {%- do by_file.setdefault(row[0], {}).setdefault(row[1], row[2]) -%}
    {%- endfor -%}
    {%- set groups = [] -%}
    {%- set index = {} -%}
    {%- for file in files -%}
        {%- set types = by_file.get(file, {}) -%}
        {%- set signature = types | dictsort | string -%}
        {%- if signature not in index -%}
            {%- do index.update({signature: groups | length}) -%}
            {%- do groups.append({'types': types, 'files': []}) -%}
        {%- endif -%}
        {%- do groups[index[signature]].files.append(file) -%}
    {%- endfor -%}
    {{ return(groups) }}
{% endmacro %}

{% macro landing_folder(table) -%}
    {{ return(var('landing_dir') ~ '/' ~ table) }}
{%- endmacro %}

{#- Every delivery file of a contract table (CSV and Parquet), sorted. -#}
{% macro landing_table_files(table) -%}
    {%- set folder = landing_folder(table) -%}
    {{ return((landing_files(folder, 'csv') + landing_files(folder, 'parquet')) | sort) }}
{%- endmacro %}

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

{% macro sql_in_list(values) -%}
    ({% for v in values %}{{ sql_string(v) }}{% if not loop.last %}, {% endif %}{% endfor %})
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
