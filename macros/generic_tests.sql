{#- Small generic tests (no dbt package hub here). -#}

{% test expression_is_true(model, expression, column_name=None) %}
    select * from {{ model }} where not coalesce(({{ expression }}), false)
{% endtest %}

{#- The column is a key: every row has a value and no value repeats (unique and not_null in one scan). -#}
{% test key(model, column_name) %}
    select {{ column_name }} as key_value, count(*) as n
    from {{ model }}
    group by {{ column_name }}
    having {{ column_name }} is null or count(*) > 1
{% endtest %}

{#- None of `columns` is null in any row, in one scan: the not-null rule of a mart that is a view
    (a view holds no NOT NULL constraint). -#}
{% test not_null_columns(model, columns) %}
    select * from {{ model }}
    where {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test row_count_equals(model, other, filter='true') %}
    with a as (select count(*) as n from {{ model }} where {{ filter }}),
         b as (select count(*) as n from {{ other }})
    select a.n as model_rows, b.n as other_rows from a, b where a.n <> b.n
{% endtest %}

{#- Each stored tier snapshot (<history folder>/as_of=D/tier_snapshot.parquet) holds D's rows and
    no other date's (D read from the path's last as_of=), so no date is stored twice; only the
    date column is read. A customer stored twice in one file cannot pass: the file is stored
    only after its build's tests on int_tier_snapshot passed. `model` is the history this guards. -#}
{% test stored_snapshots_hold_their_own_date(model) %}
    {%- set files = stored_snapshot_files() %}
    {%- if files %}
    select source_file, first_date, last_date
    from ({{ parquet_file_date_ranges(files) }}) as f
    where first_date <> last_date
        or cast(first_date as {{ text_type() }}) <> regexp_extract(source_file, '.*as_of=([0-9-]+)', 1)
    {%- else %}
    select * from {{ model }} where false
    {%- endif %}
{% endtest %}
