{#- 1-5 score from a rank() (1 = worst) among n rows; see int_customer_rfm. -#}
{% macro quintile_score(rank, n) -%}
    (case when {{ n }} = 1 then 5 else least(5, 1 + (5 * ({{ rank }} - 1)) // ({{ n }} - 1)) end)::integer
{%- endmacro %}

{#- Round half up of a non-negative exact decimal expression (0.05 x 1000 = 50, never 51). -#}
{% macro round_half_up(expression) -%}
    floor(({{ expression }}) + 0.5)
{%- endmacro %}
