{#- The as-of date D as YYYY-MM-DD, from $WAREHOUSE_AS_OF (set by warehouse-build and
    warehouse-run; tiering/landing.py default_as_of computes the default). An environment
    variable read only while executing, not a var: dbt keys its saved parse on the command
    line's vars, so a var would parse the whole project again every night. -#}
{% macro run_as_of() %}
    {%- if not execute -%}{{ return('1970-01-01') }}{%- endif -%}
    {%- set as_of = env_var('WAREHOUSE_AS_OF', '') -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
        {{ exceptions.raise_compiler_error("WAREHOUSE_AS_OF must be a date written YYYY-MM-DD, got '" ~ as_of ~ "' (build with warehouse-build or warehouse-run)") }}
    {%- endif -%}
    {{ return(as_of) }}
{% endmacro %}
