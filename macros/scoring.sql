{#- 1-5 score from a rank() (1 = worst) among n rows; see int_customer_rfm. -#}
{% macro quintile_score(rank, n) -%}
    (case when {{ n }} = 1 then 5 else least(5, 1 + {{ int_divide('5 * (' ~ rank ~ ' - 1)', n ~ ' - 1') }}) end)::integer
{%- endmacro %}

{#- Round half up of a non-negative exact decimal expression (0.05 x 1000 = 50, never 51). -#}
{% macro round_half_up(expression) -%}
    floor(({{ expression }}) + 0.5)
{%- endmacro %}

{#- Weighted percentile-rank score per customer_id (0-100, 4 decimals) from `factor_values`
    (customer_id, factor, factor_value double) and a factor seed (factor, weight, and
    higher_is_better unless `direction_column` is none: then higher is better). A factor's
    percentile rank among the rows is (rank - 1) / (n - 1), 0 = worst, 1 = best, equal values
    sharing the lower rank, a lone value 0; a missing value gets 0.5. A factor weighted 0 or
    without any value counts for nobody. Ranks are taken to 9 decimals and weighted in exact
    decimal: score = 100 x sum(weight x rank) / sum(weight). -#}
{% macro percentile_score(factor_values, factors, direction_column='higher_is_better') -%}
    with ranked as (
        select
            v.customer_id,
            f.weight,
            (case
                when v.factor_value is null then 0.5
                else percent_rank() over (
                    partition by v.factor, v.factor_value is null
                    order by {% if direction_column %}case when f.{{ direction_column }} then v.factor_value else -v.factor_value end{% else %}v.factor_value{% endif %}
                )
            end)::decimal(18, 9) as percentile_rank,
            count(v.factor_value) over (partition by v.factor) as factor_values
        from {{ factor_values }} as v
        inner join {{ factors }} as f on f.factor = v.factor
        where f.weight > 0
    )

    select
        customer_id,
        round({{ divide_as_double('100 * sum(weight * percentile_rank)', 'sum(weight)') }}, 4)::decimal(38, 4) as score,
        count(*)::integer as factors_used
    from ranked
    where factor_values > 0
    group by customer_id
{%- endmacro %}
