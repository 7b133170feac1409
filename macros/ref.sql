{#- ref() without the database part: views then name "main"."x", which resolves in whichever
    file holds them, so a view still works after the build file is copied to the served file
    (DuckDB's database name is the file name). -#}
{% macro ref() %}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {%- if relation is string or relation.include is not defined -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return(relation.include(database=False)) }}
{% endmacro %}
