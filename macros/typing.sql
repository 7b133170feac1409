{#- Typing of landed text. A value that is present but does not parse becomes null and
    yields a message in typing_errors; it is never rounded or coerced. Integers and money are
    matched by pattern first (a cast alone would round "1.5" or "5.005"; a cast to a wide
    decimal to compare would be exact but is ~100x slower). -#}
{% macro typed_value(column, kind) -%}
    {%- set v = "nullif(trim(" ~ column ~ "), '')" -%}
    {%- if kind == 'text' -%} {{ v }}
    {%- elif kind == 'code' -%} lower({{ v }})
    {%- elif kind == 'integer' -%} case when regexp_full_match({{ v }}, '[+-]?[0-9]{1,9}') then {{ v }}::integer end
    {%- elif kind == 'money' -%} case when regexp_full_match({{ v }}, '[+-]?([0-9]{1,16}(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)') then {{ v }}::decimal(18, 2) end
    {%- elif kind == 'date' -%} try_cast({{ v }} as date)
    {%- elif kind == 'timestamp' -%} try_cast({{ v }} as timestamp)
    {%- elif kind == 'boolean' -%} try_cast({{ v }} as boolean)
    {%- else -%} {{ exceptions.raise_compiler_error("unknown column kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}

{% macro typed_columns(columns) -%}
    {%- for column, kind in columns.items() %}
        {{ typed_value(column, kind) }} as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro typing_errors(columns) -%}
    nullif(concat_ws('; '
    {%- for column, kind in columns.items() if kind not in ('text', 'code') %},
        case when nullif(trim({{ column }}), '') is not null and {{ typed_value(column, kind) }} is null
             then '{{ column }} is not a valid {{ {'money': 'decimal(18,2)'}.get(kind, kind) }}: "' || trim({{ column }}) || '"' end
    {%- endfor %}
    ), '')
{%- endmacro %}
