{#- Typing of landed values into contract types. A value that is present but does not convert
    exactly becomes null and yields a message in typing_errors: nothing is rounded or coerced.
    Text is matched by pattern first (a cast alone would round "1.5" or "5.005"). A Parquet
    column stored in a type that converts exactly (DECIMAL(18,2) money, INTEGER, DATE, ...) is
    taken without a round trip through text. -#}

{#- A varchar expression typed as `kind`. -#}
{% macro typed_text(raw, kind) -%}
    {%- set v = "nullif(trim(" ~ raw ~ "), '')" -%}
    {%- if kind == 'text' -%} {{ v }}
    {%- elif kind == 'code' -%} lower({{ v }})
    {%- elif kind == 'integer' -%} case when {{ regex_full_match(v, '[+-]?[0-9]{1,9}') }} then {{ v }}::integer end
    {%- elif kind == 'money' -%} case when {{ regex_full_match(v, '[+-]?([0-9]{1,16}(\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)') }} then {{ v }}::decimal(18, 2) end
    {%- elif kind == 'date' -%} try_cast({{ v }} as date)
    {%- elif kind == 'timestamp' -%} {{ timestamp_from_text(v) }}
    {%- elif kind == 'boolean' -%} try_cast({{ v }} as boolean)
    {%- else -%} {{ exceptions.raise_compiler_error("unknown column kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}

{#- A time of day followed by a UTC offset (Z, +02, +02:00, -0500): such a timestamp converts to
    UTC; one without an offset is UTC. tiering/landing.py uses the same pattern. -#}
{% macro utc_offset_pattern() -%}
    [0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$
{%- endmacro %}

{% macro kind_type(kind) -%}
    {{ return({'text': 'string', 'code': 'string', 'integer': 'integer', 'money': 'decimal(18, 2)',
               'date': 'date', 'timestamp': 'timestamp', 'boolean': 'boolean'}[kind]) }}
{%- endmacro %}

{#- How `column`, stored as DuckDB type `source_type` (VARCHAR for CSV, none when the file lacks
    the column), becomes `kind`: {'sql': expression, 'can_fail': whether a present value can
    fail to convert, 'error': a message for every row (a nested column is never read as null)}. -#}
{% macro typed_value(column, kind, source_type) -%}
    {%- set t = (source_type or '') | upper -%}
    {%- set small_ints = ['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'] -%}
    {%- set decimal = modules.re.fullmatch('DECIMAL[(]([0-9]+), *([0-9]+)[)]', t) -%}
    {%- if not t -%}
        {%- set r = {'sql': 'null::' ~ kind_type(kind), 'can_fail': false} -%}
    {%- elif t.startswith(('STRUCT', 'MAP', 'UNION')) or t.endswith(']') -%}
        {%- set r = {'sql': 'null::' ~ kind_type(kind), 'can_fail': false, 'error': column ~ ' is a nested Parquet column'} -%}
    {%- elif kind == 'timestamp' and t == 'TIMESTAMP WITH TIME ZONE' -%}
        {%- set r = {'sql': utc_timestamp(column), 'can_fail': false} -%}
    {%- elif t == 'VARCHAR' -%}
        {%- set r = {'sql': typed_text(column, kind), 'can_fail': kind not in ('text', 'code')} -%}
    {%- elif kind in ('text', 'code') -%}
        {%- set r = {'sql': typed_text(column ~ '::string', kind), 'can_fail': false} -%}
    {%- elif kind == 'integer' and t in small_ints -%}
        {%- set r = {'sql': column ~ '::integer', 'can_fail': false} -%}
    {%- elif kind == 'money' and (t in small_ints + ['UINTEGER']
                                  or (decimal and decimal.group(2) | int <= 2 and decimal.group(1) | int - decimal.group(2) | int <= 16)) -%}
        {%- set r = {'sql': column ~ '::decimal(18, 2)', 'can_fail': false} -%}
    {%- elif (kind == 'date' and t == 'DATE') or (kind == 'boolean' and t == 'BOOLEAN') -%}
        {%- set r = {'sql': column, 'can_fail': false} -%}
    {%- elif kind == 'timestamp' and t in ('TIMESTAMP', 'TIMESTAMP_MS', 'TIMESTAMP_S', 'DATE') -%}
        {%- set r = {'sql': column ~ '::timestamp', 'can_fail': false} -%}
    {%- elif kind == 'timestamp' and t == 'TIMESTAMP_NS' -%}
        {%- set r = {'sql': microsecond_timestamp(column), 'can_fail': true} -%}
    {%- else -%}
        {%- set r = {'sql': typed_text(column ~ '::string', kind), 'can_fail': true} -%}
    {%- endif -%}
    {{ return(r) }}
{%- endmacro %}

{#- One message per value that is present but did not convert, and per nested column; null
    when there is none. `typed` maps each column to its typed_value(). -#}
{% macro typing_errors(typed, columns) -%}
    {%- set messages = [] -%}
    {%- for column, kind in columns.items() -%}
        {%- if typed[column].error -%}
            {%- do messages.append("'" ~ typed[column].error ~ "'") -%}
        {%- elif typed[column].can_fail -%}
            {%- set message -%}
        case when {{ column }} is null and nullif(trim(__landed_{{ column }}::string), '') is not null
             then '{{ column }} is not a valid {{ {'money': 'decimal(18,2)'}.get(kind, kind) }}: "' || trim(__landed_{{ column }}::string) || '"' end
            {%- endset -%}
            {%- do messages.append(message) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not messages -%}
    null::string
    {%- else -%}
    nullif(concat_ws('; ', {{ messages | join(', ') }}), '')
    {%- endif -%}
{%- endmacro %}
