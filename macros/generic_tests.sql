{#- Small generic tests (no dbt package hub here). -#}

{% test expression_is_true(model, expression, column_name=None) %}
    select * from {{ model }} where not coalesce(({{ expression }}), false)
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
