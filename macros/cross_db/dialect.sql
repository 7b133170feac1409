{#- SQL that DuckDB and Spark write differently, one macro per difference, the DuckDB and the
    Spark form side by side (adapter.dispatch picks one by target type). Models and the other
    macros call these and read the same on both engines; everything else in them is SQL both
    engines accept (`::` casts to string/decimal/date, qualify, group by all, filter (where),
    min_by/max_by, semi/anti join). docs/spark.md lists the differences. -#}

{#- Every column of the relation in scope except `columns` (a list of names or one string). -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except')(columns)) }}
{%- endmacro %}
{% macro duckdb__star_except(columns) -%}
    * exclude ({{ columns if columns is string else columns | join(', ') }})
{%- endmacro %}
{% macro spark__star_except(columns) -%}
    * except ({{ columns if columns is string else columns | join(', ') }})
{%- endmacro %}

{#- The keyword that makes a CTE computed once (Spark decides that itself). -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}
{% macro duckdb__materialized_cte() %}materialized{% endmacro %}
{% macro spark__materialized_cte() %}{% endmacro %}

{#- A 64-bit hash of the given SQL expressions (grouping only, never stored). -#}
{% macro hash64(expressions) -%}
    {{ return(adapter.dispatch('hash64')(expressions)) }}
{%- endmacro %}
{% macro duckdb__hash64(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}
{#- Spark's hash skips nulls, so (a, null) and (null, a) would hash alike: the values are
    hashed as one JSON text that keeps every null. -#}
{% macro spark__hash64(expressions) -%}
    {%- if expressions | length == 1 -%}
    xxhash64({{ expressions[0] }})
    {%- else -%}
    xxhash64(to_json(array({% for e in expressions %}{{ e }}::string{% if not loop.last %}, {% endif %}{% endfor %})))
    {%- endif -%}
{%- endmacro %}

{#- A JSON object text of {name: text expression}, nulls kept as null. -#}
{% macro json_object(fields) -%}
    {{ return(adapter.dispatch('json_object')(fields)) }}
{%- endmacro %}
{% macro duckdb__json_object(fields) -%}
    to_json(struct_pack(
        {%- for name, value in fields.items() %}{{ name }} := {{ value }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ))::string
{%- endmacro %}
{% macro spark__json_object(fields) -%}
    to_json(named_struct(
        {%- for name, value in fields.items() %}'{{ name }}', {{ value }}{% if not loop.last %}, {% endif %}{% endfor -%}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}

{#- Text of `expression` over a group joined by `separator`, ordered by the list of ascending
    expressions `order_by` (nulls last), then by the text itself; null texts are left out, and a
    group of none gives null. DuckDB: an unordered list sorted per group, about 4x cheaper than
    string_agg(... order by ...), which keeps a sort per group. -#}
{% macro ordered_string_agg(expression, separator, order_by) -%}
    {%- if order_by is string -%}
        {{ exceptions.raise_compiler_error("ordered_string_agg: order_by is a list of expressions, got '" ~ order_by ~ "'") }}
    {%- endif -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expression, separator, order_by)) }}
{%- endmacro %}
{% macro duckdb__ordered_string_agg(expression, separator, order_by) -%}
    array_to_string(list_transform(list_sort(
        list(struct_pack({% for key in order_by %}k{{ loop.index }} := {{ key }}, {% endfor %}v := {{ expression }}))
            filter (where ({{ expression }}) is not null)
    ), x -> x.v), {{ separator }})
{%- endmacro %}
{% macro spark__ordered_string_agg(expression, separator, order_by) -%}
    listagg({{ expression }}, {{ separator }}) within group (order by {% for key in order_by %}{{ key }} nulls last, {% endfor %}{{ expression }})
{%- endmacro %}

{#- The discrete quantile `fraction` of `expression` (an actual value of the group). -#}
{% macro quantile_discrete(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile_discrete')(expression, fraction)) }}
{%- endmacro %}
{% macro duckdb__quantile_discrete(expression, fraction) -%}
    quantile_disc({{ expression }}, {{ fraction }})
{%- endmacro %}
{% macro spark__quantile_discrete(expression, fraction) -%}
    percentile_disc({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{#- Integer division, rounded toward minus infinity for the non-negative operands used here. -#}
{% macro int_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_divide')(numerator, denominator)) }}
{%- endmacro %}
{% macro duckdb__int_divide(numerator, denominator) -%}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}
{% macro spark__int_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}

{#- Days from date `start` to date `end` (a bigint). -#}
{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between')(start, end)) }}
{%- endmacro %}
{% macro duckdb__days_between(start, end) -%}
    (({{ end }}) - ({{ start }}))
{%- endmacro %}
{% macro spark__days_between(start, end) -%}
    cast(datediff({{ end }}, {{ start }}) as bigint)
{%- endmacro %}

{#- Calendar-month boundaries crossed from `start` to `end` (DuckDB's datediff('month')). -#}
{% macro months_crossed(start, end) -%}
    {{ return(adapter.dispatch('months_crossed')(start, end)) }}
{%- endmacro %}
{% macro duckdb__months_crossed(start, end) -%}
    datediff('month', {{ start }}, {{ end }})
{%- endmacro %}
{% macro spark__months_crossed(start, end) -%}
    ((year({{ end }}) - year({{ start }})) * 12 + month({{ end }}) - month({{ start }}))
{%- endmacro %}

{#- A date as text in a strftime-style `format` (only %Y, %m, %d are used). -#}
{% macro format_date(expression, format) -%}
    {{ return(adapter.dispatch('format_date')(expression, format)) }}
{%- endmacro %}
{% macro duckdb__format_date(expression, format) -%}
    strftime({{ expression }}, '{{ format }}')
{%- endmacro %}
{% macro spark__format_date(expression, format) -%}
    date_format({{ expression }}, '{{ format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd') }}')
{%- endmacro %}

{#- Whether text `value` matches regular expression `pattern` as a whole. -#}
{% macro regex_full_match(value, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match')(value, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_full_match(value, pattern) -%}
    regexp_full_match({{ value }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regex_full_match(value, pattern) -%}
    regexp_like({{ value }}, '^(?:{{ pattern | replace('\\', '\\\\') }})$')
{%- endmacro %}

{#- Whether text `value` contains a match of regular expression `pattern`. -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(value, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regex_matches(value, pattern) -%}
    regexp_like({{ value }}, '{{ pattern | replace('\\', '\\\\') }}')
{%- endmacro %}

{#- Text type name inside composite types (DuckDB varchar, Spark string). -#}
{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type')()) }}
{%- endmacro %}
{% macro duckdb__text_type() %}varchar{% endmacro %}
{% macro spark__text_type() %}string{% endmacro %}

{#- How a mart that only selects from one intermediate table is built. DuckDB: a view, since the
    publish writes every served mart into the served file (a table here would be written twice).
    Spark: a table, since the publish serves the build's marts through views (a view here would
    be computed again by every reader). -#}
{% macro projection_mart_materialization() -%}
    {{ return(adapter.dispatch('projection_mart_materialization')()) }}
{%- endmacro %}
{% macro duckdb__projection_mart_materialization() %}{{ return('view') }}{% endmacro %}
{% macro spark__projection_mart_materialization() %}{{ return('table') }}{% endmacro %}

{#- A small enumerated text type: DuckDB stores an ENUM (cheaper to write), Spark a string. -#}
{% macro enum_type(values) -%}
    {{ return(adapter.dispatch('enum_type')(values)) }}
{%- endmacro %}
{% macro duckdb__enum_type(values) -%}
    enum({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
{% macro spark__enum_type(values) %}string{% endmacro %}

{#- `select <columns> from` the Parquet files `paths` (columns matched by name). -#}
{% macro select_parquet_files(paths, columns) -%}
    {{ return(adapter.dispatch('select_parquet_files')(paths, columns)) }}
{%- endmacro %}
{% macro duckdb__select_parquet_files(paths, columns) -%}
    select {{ columns | join(', ') }} from read_parquet({{ sql_list(paths) }}, union_by_name = true)
{%- endmacro %}
{% macro spark__select_parquet_files(paths, columns) -%}
    {%- for p in paths %}
    select {{ columns | join(', ') }} from parquet.`{{ p }}`
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The whole text of a local file (dbt runs in the project directory). -#}
{% macro read_text_file(path) -%}
    {{ return(adapter.dispatch('read_text_file')(path)) }}
{%- endmacro %}
{% macro duckdb__read_text_file(path) -%}
    {{ return(run_query("select content from read_text(" ~ sql_string(path) ~ ")").columns[0].values()[0]) }}
{%- endmacro %}
{% macro spark__read_text_file(path) -%}
    {#- one file is read by one task in line order -#}
    {{ return(run_query("select concat_ws(char(10), collect_list(value)) from text.`" ~ path ~ "`").columns[0].values()[0]) }}
{%- endmacro %}

{#- Rows of one-column literal values, as a relation with column `name`. -#}
{% macro values_relation(values, name) -%}
    (select * from (values {% for v in values %}({{ sql_string(v) }}){% if not loop.last %}, {% endif %}{% endfor %}) as v({{ name }}))
{%- endmacro %}

{#- A hash of a staged row's typed values and typing errors (tells versions of a key apart). -#}
{% macro row_version(table) -%}
    {{ return(adapter.dispatch('row_version')(table)) }}
{%- endmacro %}
{% macro duckdb__row_version(table) -%}
    hash(*columns(* exclude (source_file, landed_record, key_hash)))
{%- endmacro %}
{% macro spark__row_version(table) -%}
    {{ hash64(contract_columns(table).keys() | list + ['typing_errors']) }}
{%- endmacro %}

{#- A trimmed, non-empty text as a UTC timestamp: one with a UTC offset converts to UTC, one
    without is UTC (macros/typing.sql: utc_offset_pattern); null when it does not parse. -#}
{% macro timestamp_from_text(v) -%}
    {{ return(adapter.dispatch('timestamp_from_text')(v)) }}
{%- endmacro %}
{% macro duckdb__timestamp_from_text(v) -%}
    case when regexp_matches({{ v }}, '{{ utc_offset_pattern() }}') then timezone('UTC', try_cast({{ v }} as timestamptz))
             else try_cast({{ v }} as timestamp) end
{%- endmacro %}
{#- Spark's timestamps are instants shown in the session time zone, UTC (profiles.yml). -#}
{% macro spark__timestamp_from_text(v) -%}
    try_cast({{ v }} as timestamp)
{%- endmacro %}

{#- A stored timestamp with time zone as a UTC timestamp. -#}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp')(column)) }}
{%- endmacro %}
{% macro duckdb__utc_timestamp(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}
{% macro spark__utc_timestamp(column) -%}
    {{ column }}::timestamp
{%- endmacro %}

{#- A nanosecond timestamp as a timestamp when it has no part below a microsecond, else null. -#}
{% macro microsecond_timestamp(column) -%}
    {{ return(adapter.dispatch('microsecond_timestamp')(column)) }}
{%- endmacro %}
{% macro duckdb__microsecond_timestamp(column) -%}
    case when epoch_ns({{ column }}) % 1000 = 0 then {{ column }}::timestamp end
{%- endmacro %}
{#- Spark reads Parquet timestamps in microseconds at most -#}
{% macro spark__microsecond_timestamp(column) -%}
    {{ column }}::timestamp
{%- endmacro %}

{#- Every column except `columns`, with `replacements` ({name: SQL}) in place of theirs
    (Spark puts the replaced columns last). -#}
{% macro star_replace(columns, replacements) -%}
    {{ return(adapter.dispatch('star_replace')(columns, replacements)) }}
{%- endmacro %}
{% macro duckdb__star_replace(columns, replacements) -%}
    *{% if columns %} exclude ({{ columns if columns is string else columns | join(', ') }}){% endif %}
    replace ({% for name, sql in replacements.items() %}{{ sql }} as {{ name }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
{% macro spark__star_replace(columns, replacements) -%}
    {%- set excluded = ([columns] if columns is string else columns | list) + replacements.keys() | list -%}
    * except ({{ excluded | join(', ') }}),
    {% for name, sql in replacements.items() %}{{ sql }} as {{ name }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endmacro %}

{#- One row per day from `start` up to, not including, `end` (dates as YYYY-MM-DD), column date_day. -#}
{% macro day_spine(start, end) -%}
    {{ return(adapter.dispatch('day_spine')(start, end)) }}
{%- endmacro %}
{% macro duckdb__day_spine(start, end) -%}
select range::date as date_day
from range(date '{{ start }}', date '{{ end }}', interval 1 day)
{%- endmacro %}
{% macro spark__day_spine(start, end) -%}
select explode(sequence(date '{{ start }}', date_sub(date '{{ end }}', 1), interval 1 day)) as date_day
{%- endmacro %}

{#- An empty map of text to text. -#}
{% macro empty_text_map() -%}
    {{ return(adapter.dispatch('empty_text_map')()) }}
{%- endmacro %}
{% macro duckdb__empty_text_map() %}map()::map(varchar, varchar){% endmacro %}
{% macro spark__empty_text_map() %}cast(map() as map<string, string>){% endmacro %}

{#- A struct {name: SQL}. -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of')(fields)) }}
{%- endmacro %}
{% macro duckdb__struct_of(fields) -%}
    {{ '{' }}{% for name, sql in fields.items() %}'{{ name }}': {{ sql }}{% if not loop.last %}, {% endif %}{% endfor %}{{ '}' }}
{%- endmacro %}
{% macro spark__struct_of(fields) -%}
    named_struct({% for name, sql in fields.items() %}'{{ name }}', {{ sql }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#- The list of the SQL `items` that are not null, in their order. -#}
{% macro list_without_nulls(items) -%}
    {{ return(adapter.dispatch('list_without_nulls')(items)) }}
{%- endmacro %}
{% macro duckdb__list_without_nulls(items) -%}
    [item for item in [{{ items | join(', ') }}] if item is not null]
{%- endmacro %}
{% macro spark__list_without_nulls(items) -%}
    filter(array({{ items | join(', ') }}), item -> item is not null)
{%- endmacro %}

{#- The type of a list of structs {name: type}. -#}
{% macro struct_list_type(fields) -%}
    {{ return(adapter.dispatch('struct_list_type')(fields)) }}
{%- endmacro %}
{% macro duckdb__struct_list_type(fields) -%}
    struct({% for name, kind in fields.items() %}{{ name }} {{ kind }}{% if not loop.last %}, {% endif %}{% endfor %})[]
{%- endmacro %}
{% macro spark__struct_list_type(fields) -%}
    array<struct<{% for name, kind in fields.items() %}{{ name }}: {{ kind }}{% if not loop.last %}, {% endif %}{% endfor %}>>
{%- endmacro %}

{#- One row per element of a list column (in a select list). -#}
{% macro unnest_list(expression) -%}
    {{ return(adapter.dispatch('unnest_list')(expression)) }}
{%- endmacro %}
{% macro duckdb__unnest_list(expression) %}unnest({{ expression }}){% endmacro %}
{% macro spark__unnest_list(expression) %}explode({{ expression }}){% endmacro %}

{#- The `columns` of stored snapshots (landing inventory entries: path, columns): on DuckDB
    unioned by name, on Spark file by file. A column a file lacks (a snapshot stored by an
    earlier version) is null. -#}
{% macro select_stored_snapshots(snapshots, columns) -%}
    {{ return(adapter.dispatch('select_stored_snapshots')(snapshots, columns)) }}
{%- endmacro %}
{% macro duckdb__select_stored_snapshots(snapshots, columns) -%}
    {{ select_parquet_files(snapshots | map(attribute='path') | list, columns) }}
{%- endmacro %}
{% macro spark__select_stored_snapshots(snapshots, columns) -%}
    {%- for s in snapshots %}
    select {% for c in columns %}{{ c if c in s.columns else 'null as ' ~ c }}{% if not loop.last %}, {% endif %}{% endfor %}
    from parquet.`{{ s.path }}`
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The rows of stored snapshots (as select_stored_snapshots) and of `prototype` (zero rows that
    name at least `columns`, with their types), united by name: on DuckDB every column of the
    files, on Spark only `columns`. -#}
{% macro parquet_files_with_prototype(snapshots, prototype, columns) -%}
    {{ return(adapter.dispatch('parquet_files_with_prototype')(snapshots, prototype, columns)) }}
{%- endmacro %}
{% macro duckdb__parquet_files_with_prototype(snapshots, prototype, columns) -%}
    {%- if snapshots %}
    select * from read_parquet({{ sql_list(snapshots | map(attribute='path') | list) }}, union_by_name = true)
    union all by name
    {%- endif %}
    {{ prototype }}
{%- endmacro %}
{% macro spark__parquet_files_with_prototype(snapshots, prototype, columns) -%}
    {%- if snapshots %}
    {{ spark__select_stored_snapshots(snapshots, columns) }}
    union all
    {%- endif %}
    select {{ columns | join(', ') }} from ({{ prototype }}) as prototype
{%- endmacro %}

{#- Per Parquet file of `paths` (with a date column as_of_date): source_file, first_date, last_date. -#}
{% macro parquet_file_date_ranges(paths) -%}
    {{ return(adapter.dispatch('parquet_file_date_ranges')(paths)) }}
{%- endmacro %}
{% macro duckdb__parquet_file_date_ranges(paths) -%}
    select filename as source_file, min(as_of_date) as first_date, max(as_of_date) as last_date
    from read_parquet({{ sql_list(paths) }}, filename = true)
    group by filename
{%- endmacro %}
{% macro spark__parquet_file_date_ranges(paths) -%}
    select source_file, min(as_of_date) as first_date, max(as_of_date) as last_date
    from ({% for p in paths %}select {{ sql_string(p) }} as source_file, as_of_date from parquet.`{{ p }}`
        {%- if not loop.last %} union all {% endif %}{% endfor %}) as dated
    group by source_file
{%- endmacro %}

{#- An expression that fails the query with the text `message` (SQL) as its error. -#}
{% macro raise_error(message) -%}
    {{ return(adapter.dispatch('raise_error')(message)) }}
{%- endmacro %}
{% macro duckdb__raise_error(message) %}error({{ message }}){% endmacro %}
{% macro spark__raise_error(message) %}raise_error({{ message }}){% endmacro %}

{#- Date `d` plus `months` calendar months (a month-end past the target month's end clamps). -#}
{% macro add_months(d, months) -%}
    {{ return(adapter.dispatch('add_months')(d, months)) }}
{%- endmacro %}
{% macro duckdb__add_months(d, months) -%}
    ({{ d }} + to_months({{ months }}))::date
{%- endmacro %}
{% macro spark__add_months(d, months) -%}
    add_months({{ d }}, {{ months }})
{%- endmacro %}

{#- `numerator` / `denominator` as a double, as DuckDB divides decimals (Spark would divide
    them in decimal, to 6 decimals, before the cast). -#}
{% macro divide_as_double(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide_as_double')(numerator, denominator)) }}
{%- endmacro %}
{% macro duckdb__divide_as_double(numerator, denominator) -%}
    (({{ numerator }}) / {{ denominator }})::double
{%- endmacro %}
{% macro spark__divide_as_double(numerator, denominator) -%}
    (cast({{ numerator }} as double) / cast({{ denominator }} as double))
{%- endmacro %}

{#- Which of `passes` slices a 64-bit hash falls in (0 .. passes - 1): DuckDB's hash is
    unsigned, Spark's xxhash64 signed (pmod keeps the slice non-negative). -#}
{% macro hash_slice(hash, passes) -%}
    {{ return(adapter.dispatch('hash_slice')(hash, passes)) }}
{%- endmacro %}
{% macro duckdb__hash_slice(hash, passes) %}{{ hash }} % {{ passes }}{% endmacro %}
{% macro spark__hash_slice(hash, passes) %}pmod({{ hash }}, {{ passes }}){% endmacro %}
