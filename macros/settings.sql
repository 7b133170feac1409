{#- A number from seed tier_settings, inlined as a literal when the model runs
    (DuckDB needs constants for quantile fractions). -#}
{% macro setting(name) -%}
    {%- set relation = ref('tier_settings') -%}
    {%- if execute -%}
        {%- set values = run_query("select value from " ~ relation ~ " where setting = '" ~ name ~ "'").columns[0].values() -%}
        {%- if values | length != 1 -%}
            {{ exceptions.raise_compiler_error("setting '" ~ name ~ "' must appear once in seed tier_settings") }}
        {%- endif -%}
        {{ values[0] }}
    {%- else -%}
        0
    {%- endif -%}
{%- endmacro %}
