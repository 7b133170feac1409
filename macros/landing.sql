{#- Every landed row of one contract table, typed (see typing.sql): the contract's columns
    (macros/contract.sql; an optional column a file lacks is null),
    typing_errors, landed_record (the row's values as delivered, JSON of text, kept for rows with
    a value that did not convert; the typed values are the delivered ones otherwise) and
    source_file.
    Exactly the files the landing inventory lists are read. CSV and Parquet may be mixed; CSV is
    read as text in the contract's dialect, grouped by header (malformed rows are skipped: the
    inventory lists them); Parquet files are grouped by their stored column types so each group
    is typed without a round trip through text. A query filtering on source_file reads only
    those files. The Spark form is in macros/cross_db/spark_landing.sql. -#}
{% macro staged_rows(table) %}
    {{ return(adapter.dispatch('staged_rows')(table)) }}
{% endmacro %}

{% macro duckdb__staged_rows(table) %}
    {%- set columns = contract_columns(table) -%}
    {%- set sources = [] -%}
    {%- for group in files_by_columns(landing_table_files(table)) -%}
        {%- set types = {} -%}
        {%- for name, kind in group.columns.items() %}{% do types.update({name | lower: kind}) %}{% endfor -%}
        {%- if group.kind == 'csv' -%}
            {%- set struct -%}
                { {%- for name in group.columns %}{{ sql_string(name) }}: 'VARCHAR'{% if not loop.last %}, {% endif %}{% endfor -%} }
            {%- endset -%}
            {#- DuckDB checks UTF-8 only in the columns a query reads: the filter reads them all, so
                exactly the rows the inventory lists as malformed are skipped, whatever is selected -#}
            {%- do sources.append((types, '(select * from read_csv(' ~ sql_list(group.files) ~ ', ' ~ csv_dialect() ~ ', columns = ' ~ struct
                                    ~ ', ignore_errors = true, filename = true) where length(concat(*columns(*))) >= 0)')) -%}
        {%- else -%}
            {%- do sources.append((types, 'read_parquet(' ~ sql_list(group.files) ~ ', union_by_name = true, filename = true)')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- typed_union(columns, sources) }}
{% endmacro %}

{#- The contract's CSV dialect, stated in full (never sniffed); tiering/landing.py scans
    each CSV file with it and lists the malformed rows that ignore_errors skips here. -#}
{% macro csv_dialect() -%}
    delim = ',', quote = '"', escape = '"', header = true, auto_detect = false
{%- endmacro %}

{#- The typed rows of every (types, source) of `sources` (typed_branch), one union; no source
    (an empty landing table) gives the contract's columns and no row. Both engines' forms of
    staged_rows end here. -#}
{% macro typed_union(columns, sources) %}
    {%- if not sources -%}
        {%- set text_types = {} -%}
        {%- for column in columns %}{% do text_types.update({column: 'VARCHAR'}) %}{% endfor -%}
        {%- set prototype -%}
            select {% for column in columns %}null::string as {{ column }}, {% endfor %}null::string as filename where false
        {%- endset -%}
        {%- set sources = [(text_types, '(' ~ prototype ~ ')')] -%}
    {%- endif -%}
    {%- for types, source in sources %}
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
        {%- set landed = {} -%}
        {%- for column in columns %}{% do landed.update({column: '__landed_' ~ column ~ '::string'}) %}{% endfor %}
        case when typing_errors is not null then {{ json_object(landed) }} end as landed_record,
        source_file
    from (
        select *, {{ typing_errors(typed, columns) }} as typing_errors
        from (
            select
                {%- for column in columns %}
                {{ typed[column].sql }} as {{ column }},
                {{ column if types.get(column) else 'null::string' }} as __landed_{{ column }},
                {%- endfor %}
                filename as source_file
            from {{ source }}
        )
    )
{% endmacro %}

{#- Inventory files grouped by kind and columns (in header order, with their DuckDB types):
    [{'kind', 'columns', 'files'}], in file order of each group's first file. -#}
{% macro files_by_columns(files) %}
    {%- set groups = [] -%}
    {%- set index = {} -%}
    {%- for file in files -%}
        {%- set signature = file.kind ~ (file.columns.items() | list | string) -%}
        {%- if signature not in index -%}
            {%- do index.update({signature: groups | length}) -%}
            {%- do groups.append({'kind': file.kind, 'columns': file.columns, 'files': []}) -%}
        {%- endif -%}
        {%- do groups[index[signature]].files.append(file.path) -%}
    {%- endfor -%}
    {{ return(groups) }}
{% endmacro %}

{#- The landing inventory tiering/landing.py wrote, named by $WAREHOUSE_INVENTORY (an
    environment variable: dbt does not render its value as Jinja). Empty while parsing. -#}
{% macro landing_inventory() %}
    {%- if not execute -%}
        {{ return({'landing_dir': '', 'tables': {}, 'history_snapshots': []}) }}
    {%- endif -%}
    {%- set path = env_var('WAREHOUSE_INVENTORY', '') -%}
    {%- if not path -%}
        {{ exceptions.raise_compiler_error("WAREHOUSE_INVENTORY is not set: build with warehouse-build or warehouse-run, which take the landing inventory first") }}
    {%- endif -%}
    {{ return(fromjson(read_text_file(path))) }}
{% endmacro %}

{#- The inventory entries of a contract table's readable files, sorted by name:
    {path, kind, columns: {name: DuckDB type}, rows}. -#}
{% macro landing_table_files(table, inventory=none) -%}
    {{ return((inventory or landing_inventory()).tables.get(table, {}).get('files', [])) }}
{%- endmacro %}

{#- A Parquet file of the inventory (malformed_rows_file, rejected_files_file) as a relation;
    `prototype` (zero rows) while parsing. -#}
{% macro inventory_rows(name, prototype, inventory=none) -%}
    {%- set inventory = inventory or landing_inventory() -%}
    {%- if inventory.get(name) -%}
    ({{ select_parquet_files([inventory[name]], ['*']) }})
    {%- else -%}
    ({{ prototype }})
    {%- endif -%}
{%- endmacro %}

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
    <history folder>/as_of=YYYY-MM-DD/tier_snapshot.parquet and listed in the inventory; none yet
    is zero rows. -#}
{% macro history_rows(columns) %}
    {%- set snapshots = stored_snapshots() -%}
    {%- if snapshots %}
    {{ select_stored_snapshots(snapshots, columns) }}
    {%- else %}
    select {{ columns | join(', ') }} from {{ ref('int_tier_snapshot') }} where false
    {%- endif %}
{% endmacro %}

{% macro malformed_rows_prototype() -%}
    select null::string as table_name, null::string as source_file, null::bigint as line, null::string as reason,
        null::string as raw_text where false
{%- endmacro %}

{% macro rejected_files_prototype() -%}
    select null::string as table_name, null::string as source_file, null::string as reason where false
{%- endmacro %}
