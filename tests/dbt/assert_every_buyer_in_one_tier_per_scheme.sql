-- Each buyer has exactly one tier in every scheme; no non-buyer has one (other than non_buyer).
-- Dagster: a blocking asset check of int_customer_scheme_tiers (it reads several nodes)
{{ config(meta={'dagster': {'ref': {'name': 'int_customer_scheme_tiers'}}}) }}
with buyers as (
    select customer_id from {{ ref('customer_value') }} where is_buyer
),

schemes as (select distinct scheme from {{ ref('tier_schemes') }}),

expected as (select scheme, customer_id from schemes cross join buyers),

got as (
    select scheme, customer_id, count(*) as tiers
    from {{ ref('int_customer_scheme_tiers') }}
    where tier <> 'non_buyer'
    group by all
)

select coalesce(e.scheme, g.scheme) as scheme, coalesce(e.customer_id, g.customer_id) as customer_id, g.tiers
from expected as e
full join got as g on g.scheme = e.scheme and g.customer_id = e.customer_id
where g.tiers is distinct from 1 or e.customer_id is null
