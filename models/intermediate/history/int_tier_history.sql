{#- Tier snapshots of every as-of date built so far up to D: the stored snapshots of earlier
    dates, and this build's own for D (a rebuild of D replaces D's stored snapshot). A view:
    a copy would grow with every stored night, and each reader reads only the columns and
    the dates it needs (each stored file holds one date, so a date filter skips the others). -#}
{{ config(materialized='view') }}
{%- set columns = ['as_of_date', 'customer_id', 'is_buyer', 'net_revenue', 'gross_margin', 'cost_to_serve',
                   'contribution', 'recency_days', 'p_alive', 'pyramid_tier', 'scheme_tiers', 'quadrant',
                   'value_grid', 'lifecycle_stage'] -%}

with params as (select * from {{ ref('int_run_parameters') }}),

stored as (
    {{ history_rows(columns) }}
)

select {% for c in columns %}stored.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from stored
cross join params
where stored.as_of_date < params.as_of_date
union all
select {{ columns | join(', ') }} from {{ ref('int_tier_snapshot') }}
