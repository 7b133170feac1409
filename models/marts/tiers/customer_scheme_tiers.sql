{#- Long form of every customer's tier in every scheme (one row per customer x scheme). A projection
    of int_customer_scheme_tiers (projection_mart_materialization). -#}
{{ config(materialized=projection_mart_materialization()) }}
select
    as_of_date,
    customer_id,
    scheme,
    is_default_scheme,
    basis,
    basis_value,
    tier_rank,
    tier,
    tier_name,
    tier_order
from {{ ref('int_customer_scheme_tiers') }}
