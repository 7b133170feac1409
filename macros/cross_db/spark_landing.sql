{#- The landing on Spark: the same files and typing as macros/landing.sql, read through Spark.
    Each CSV file of the landing inventory becomes an external table over that file (header,
    the contract's dialect, every column text), re-created when a staging view is built; its
    malformed rows (a field count that does not match the header, a quote left open) are
    Spark's corrupt records and are left out, exactly the rows tiering/landing.py lists as
    malformed (the quarantine shows them from the inventory, as on DuckDB; tests/test_spark.py
    checks the counts). Parquet files are read in place. -#}
{% macro spark__staged_rows(table) %}
    {%- set columns = contract_columns(table) -%}
    {%- set sources = [] -%}
    {%- for file in landing_table_files(table) -%}
        {%- set types = {} -%}
        {%- for name, kind in file.columns.items() %}{% do types.update({name | lower: kind}) %}{% endfor -%}
        {%- if file.kind == 'csv' -%}
            {%- set relation = spark_csv_table(table, loop.index, file) -%}
            {#- the filter reads every column: Spark refuses a query that reads only _corrupt_record -#}
            {%- set every_column = [] -%}
            {%- for name in file.columns %}{% do every_column.append('`' ~ name | replace('`', '``') ~ '`') %}{% endfor -%}
            {%- do sources.append((types, '(select *, ' ~ sql_string(file.path) ~ ' as filename from ' ~ relation
                                           ~ ' where _corrupt_record is null and length(concat_ws(\'\', ' ~ every_column | join(', ')
                                           ~ ')) >= 0)')) -%}
        {%- else -%}
            {%- do sources.append((types, '(select *, ' ~ sql_string(file.path) ~ ' as filename from parquet.`' ~ file.path ~ '`)')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- typed_union(columns, sources) }}
{% endmacro %}

{#- The external table over CSV file `file` (an inventory entry), made anew; its name. -#}
{% macro spark_csv_table(table, index, file) %}
    {%- set relation = target.schema ~ '.landing_' ~ table ~ '_' ~ index -%}
    {%- if execute -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- set ddl -%}
            create table {{ relation }} (
                {%- for name in file.columns %}`{{ name | replace('`', '``') }}` string, {% endfor %}_corrupt_record string)
            using csv
            options (path {{ sql_string(file.path) }}, {{ spark_csv_dialect() }})
        {%- endset -%}
        {%- do run_query(ddl) -%}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}

{#- The contract's CSV dialect (macros/landing.sql: csv_dialect) in Spark's options: a header,
    ',' between fields, '"' quotes doubled inside a quoted field, quoted line breaks allowed,
    a malformed row kept as text in _corrupt_record. -#}
{% macro spark_csv_dialect() -%}
    header 'true', sep ',', quote '"', escape '"', multiLine 'true', encoding 'UTF-8', enforceSchema 'true',
    mode 'PERMISSIVE', columnNameOfCorruptRecord '_corrupt_record'
{%- endmacro %}

{#- dbt-spark cannot delete+insert into Parquet tables: the incremental runs of the validated
    models (delete+insert) and of the event logs (append after a pre-hook's delete) are
    DuckDB's. A Spark build is always a full build into a fresh build schema (write-audit-
    publish, docs/spark.md), where the first run of an incremental model creates its table.
    Overrides dbt-spark's macro of the same name. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy not in ('delete+insert', 'append') -%}
        {{ exceptions.raise_compiler_error("incremental strategy " ~ raw_strategy ~ " is not used by this project on Spark") }}
    {%- endif -%}
    {%- if is_incremental() -%}
        {{ exceptions.raise_compiler_error("a Spark build is a full build into a fresh schema: " ~ this ~ " exists already (use --full-refresh or a new schema)") }}
    {%- endif -%}
    {{ return('append') }}
{% endmacro %}
