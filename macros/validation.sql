{#- Contract rules shared by the int_*__validated models. -#}

{# A reason when a required value is absent (an unparseable value already has its own). #}
{% macro missing(column) -%}
    case when {{ column }} is null and coalesce(typing_errors, '') not like '{{ column }} is not a valid%'
         then '{{ column }} is missing' end
{%- endmacro %}

{% macro any_null(columns) -%}
    ({% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %})
{%- endmacro %}

{#- Every row of `source` (SQL) with how it stands against re-deliveries of its key:
    'unkeyed'    a key column is null (quarantined by the key rule),
    'superseded' a later file delivered the key again (the file that sorts last wins),
    'duplicate'  an identical copy of a row in the same file (one copy is kept),
    'conflict'   the same file holds different versions of the key (all are quarantined),
    'latest'     the version that counts.
    Keys delivered once (nearly all) skip the window functions: a hash aggregate over a 64-bit
    hash of the key finds the repeated ones (a collision only sends a key through the exact
    path). Versions are told apart by a hash of the typed values and typing errors. A full
    build reads the source three times rather than buffering every row (DuckDB would
    materialise a CTE read three times); an incremental run's source is small and is buffered.
    A full build of a large table finds repeated keys in several passes, one slice of the key
    hashes each (see key_check_passes): DuckDB's hash aggregate does not spill reliably with
    over 100M distinct keys in a 4 GB limit. -#}
{% macro with_delivery_state(source, key_columns, table) %}
    {%- set key = key_columns | join(', ') -%}
    {%- set version = row_version(table) -%}
    {%- set passes = 1 if is_incremental() else key_check_passes(table) -%}
    {%- set rows -%}
        (select *, case when not {{ any_null(key_columns) }} then {{ hash64(key_columns) }} end as key_hash
         from {{ 'source_rows' if is_incremental() else '(' ~ source ~ ')' }})
    {%- endset -%}
    with
    {%- if is_incremental() %}
    source_rows as {{ materialized_cte() }} ({{ source }}),
    {%- endif %}
    repeated as {{ materialized_cte() }} (  -- null (unkeyed) never joins
        {%- for slice in range(passes) %}
        select key_hash from {{ rows }} {% if passes > 1 %}where {{ hash_slice('key_hash', passes) }} = {{ slice }} {% endif -%}
        group by key_hash having count(*) > 1
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
    select delivered.{{ star_except('key_hash') }}, (case when key_hash is null then 'unkeyed' else 'latest' end)::{{ delivery_state_type() }} as delivery_state
    from {{ rows }} as delivered anti join repeated using (key_hash)
    union all
    select delivered.{{ star_except('key_hash') }},
        case
            when source_file < max(source_file) over (partition by {{ key }}) then 'superseded'
            when min({{ version }}) over (partition by {{ key }}, source_file)
                 <> max({{ version }}) over (partition by {{ key }}, source_file) then 'conflict'
            when row_number() over (partition by {{ key }}, source_file order by {{ version }}) > 1 then 'duplicate'
            else 'latest'
        end::{{ delivery_state_type() }}
    from {{ rows }} as delivered semi join repeated using (key_hash)
{% endmacro %}

{#- How many slices of the key hashes the repeated-key check of a full build takes: the
    landed rows (counted by the landing inventory) over var('key_check_rows_per_pass'). -#}
{% macro key_check_passes(table) %}
    {%- set rows = landing_table_files(table) | sum(attribute='rows') -%}
    {{ return([1, [64, (rows / var('key_check_rows_per_pass')) | round(0, 'ceil') | int] | min] | max) }}
{% endmacro %}

{#- Delivery state and row status are stored as ENUMs: a VARCHAR column costs several times
    more to write, and the validated tables hold every landed row. -#}
{% macro delivery_state_type() -%}
    {{ enum_type(['unkeyed', 'superseded', 'duplicate', 'conflict', 'latest']) }}
{%- endmacro %}

{#- The verdict columns every validated model ends with: row status from delivery state and
    issues, and the run that judged the row (incremental runs re-judge only some rows). -#}
{% macro verdict(state, issues) -%}
    (case
        when {{ state }} in ('superseded', 'duplicate') then 'superseded'
        when {{ issues }} is not null then 'quarantined'
        else 'accepted'
    end)::{{ enum_type(['accepted', 'quarantined', 'superseded']) }} as row_status,
    {{ this_run() }} as validated_at
{%- endmacro %}

{#- For the accepted views: when the row was judged, and whether by the latest run that judged
    any row of the table (tests check only those rows: a run re-judges whole keys). -#}
{% macro judgement(validated) -%}
    validated_at,
    validated_at = (select max(validated_at) from {{ validated }}) as judged_in_last_run
{%- endmacro %}

{#- The start of this dbt invocation: tells rows judged by this run. -#}
{% macro this_run() -%}
    timestamp '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}'
{%- endmacro %}

{% macro conflict_reason(state) -%}
    case when {{ state }} = 'conflict' then 'conflicting versions of this key in one file' end
{%- endmacro %}

{#- Keys of another validated table that a reference may point to: accepted ones, and
    quarantined ones (is_accepted false). A key has at most one row that is not superseded
    unless all its rows are quarantined, so ref_key is unique. -#}
{% macro parent_keys(relation, key) -%}
    select {{ key }} as ref_key, true as is_accepted from {{ relation }} where row_status = 'accepted'
    union all
    select distinct {{ key }}, false from {{ relation }} where row_status = 'quarantined' and {{ key }} is not null
{%- endmacro %}

{% macro reference_reason(alias, column, what) -%}
    case
        when {{ column }} is not null and {{ alias }}.is_accepted is null then 'unknown {{ what }} "' || {{ column }} || '"'
        when not {{ alias }}.is_accepted then '{{ what }} "' || {{ column }} || '" is quarantined'
    end
{%- endmacro %}

{#- The staged rows a validated model must (re)judge. A full build: all of them. An
    incremental run: the rows of files not read before (only those files are read), and every
    earlier version of each key they deliver or that a `cascade` condition names (a parent
    re-judged in this run), taken from the validated table itself. -#}
{% macro rows_to_validate(relation, table, key_columns, cascades=[]) %}
    {%- if is_incremental() -%}
    {%- set key = key_columns | join(', ') -%}
    {%- set read = run_query("select distinct source_file from " ~ this).columns[0].values() | list if execute else [] -%}
    {%- set new_files = landing_table_files(table) | map(attribute='path') | reject('in', read) | list -%}
    {%- set staged = adapter.get_columns_in_relation(relation) | map(attribute='name') | list if execute else ['*'] -%}
    with new_rows as (
        select * from {{ relation }}
        where {% if new_files %}source_file in {{ sql_in_list(new_files) }}{% else %}false{% endif %}
    ),
    touched as (
        select {{ key }} from new_rows where not {{ any_null(key_columns) }}
        {%- for c in cascades %}
        union
        select {{ key }} from {{ this }} where {{ c }}
        {%- endfor %}
    )
    select * from new_rows
    union all by name
    select {{ staged | join(', ') }} from {{ this }} where ({{ key }}) in (select {{ key }} from touched)
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{% endmacro %}

{#- Keys of a parent validated model re-judged in this run. -#}
{% macro rejudged(relation, column) -%}
    (select {{ column }} from {{ relation }} where validated_at = {{ this_run() }})
{%- endmacro %}

{#- The columns of a validated model that its accepted view leaves out (it keeps the contract
    columns, source_file and what the model derived). -#}
{% macro verdict_columns() -%}
    typing_errors, landed_record, delivery_state, issues, row_status, validated_at
{%- endmacro %}
