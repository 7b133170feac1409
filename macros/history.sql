{#- int_tier_snapshot_lists, the customers of one slice (by customer_id hash) of `passes`;
    assignment_changed: an assignment in some scheme is not `kept`. -#}
{% macro snapshot_lists(slice, passes) %}
    {%- set in_slice -%}
        {%- if passes > 1 %} and {{ hash_slice(hash64(['customer_id']), passes) }} = {{ slice }}{% endif -%}
    {%- endset %}
    select a.customer_id, m.scheme_tiers, a.tier_assignments, a.assignment_changed
    from (
        select
            customer_id,
            {{ sorted_struct_list({
                'scheme': 'scheme', 'computed_tier': 'computed_tier', 'assigned_tier': 'assigned_tier',
                'assigned_since': 'assigned_since', 'next_review_date': 'next_review_date',
                'assignment_reason': 'assignment_reason'}) }} as tier_assignments,
            bool_or(assignment_reason <> 'kept') as assignment_changed
        from {{ ref('int_tier_assignments') }}
        where true{{ in_slice }}
        group by customer_id
    ) as a
    left join (
        select customer_id, {{ sorted_map_agg('scheme', 'tier') }} as scheme_tiers
        from {{ ref('int_customer_scheme_tiers') }}
        where is_buyer{{ in_slice }}
        group by customer_id
    ) as m on m.customer_id = a.customer_id
{% endmacro %}

{#- The statements that add slices 1 to passes - 1 (none for one pass). -#}
{% macro snapshot_list_inserts(passes) %}
    {%- for slice in range(1, passes) %}
    insert into {{ this }} {{ snapshot_lists(slice, passes) }};
    {%- endfor %}
{% endmacro %}

{#- How many slices: the customers landed (landing inventory) over
    var('snapshot_list_customers_per_pass'), on DuckDB; Spark's aggregation spills: one. -#}
{% macro snapshot_list_passes() %}
    {{ return(adapter.dispatch('snapshot_list_passes')()) }}
{% endmacro %}
{% macro duckdb__snapshot_list_passes() %}
    {%- set customers = landing_table_files('customers') | sum(attribute='rows') -%}
    {{ return([1, (customers / var('snapshot_list_customers_per_pass')) | round(0, 'ceil') | int] | max) }}
{% endmacro %}
{% macro spark__snapshot_list_passes() %}{{ return(1) }}{% endmacro %}
