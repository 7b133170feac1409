{#- Contract constraints on Spark. Parquet tables cannot hold constraints (dbt-spark would
    alter Delta tables), so the not_null constraints of an enforced contract are checked once
    the table is written: a null fails the model, as DuckDB's NOT NULL does. Overrides
    dbt-spark's spark__persist_constraints. -#}
{% macro spark__persist_constraints(relation, model) %}
    {%- if config.get('contract').enforced -%}
        {%- set checks = [] -%}
        {%- for name, column in model.columns.items() -%}
            {%- for constraint in column.constraints if constraint.type == 'not_null' -%}
                {%- do checks.append("select '" ~ name ~ "' as column_name from " ~ relation ~ " where " ~ name ~ " is null") -%}
            {%- endfor -%}
            {%- for constraint in column.constraints if constraint.type not in ('not_null',) -%}
                {{ exceptions.raise_compiler_error(relation ~ "." ~ name ~ ": constraint " ~ constraint.type ~ " has no Spark form") }}
            {%- endfor -%}
        {%- endfor -%}
        {%- if checks -%}
            {%- set broken = run_query("select distinct column_name from (" ~ checks | join(' union all ') ~ ")").columns[0].values() -%}
            {%- if broken | length > 0 -%}
                {{ exceptions.raise_compiler_error(relation ~ ": not_null constraint broken in " ~ broken | join(', ')) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
