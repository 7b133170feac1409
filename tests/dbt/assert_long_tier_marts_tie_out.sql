-- The long marts tie out: each customer's activity costs (customer_cost_to_serve) add up to its
-- cost to serve in customer_tiers to the cent, and each scheme x tier of customer_scheme_tiers
-- holds tier_profitability's customers and cost to serve.
-- Dagster: a blocking asset check of the long mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'customer_scheme_tiers'}}}) }}
with activity_totals as (
    select customer_id, sum(cost_to_serve) as cost_to_serve
    from {{ ref('customer_cost_to_serve') }}
    group by customer_id
),

customer_gaps as (
    select 'customer ' || t.customer_id as what
    from {{ ref('customer_tiers') }} as t
    left join activity_totals as a on a.customer_id = t.customer_id
    where round(coalesce(a.cost_to_serve, 0), 2) <> round(t.cost_to_serve, 2)
    union all
    select 'customer ' || a.customer_id
    from activity_totals as a
    anti join {{ ref('customer_tiers') }} as t on t.customer_id = a.customer_id
),

tier_sums as (
    select
        s.scheme,
        s.tier,
        count(*) as customers,
        sum(coalesce(a.cost_to_serve, 0)) as cost_to_serve
    from {{ ref('customer_scheme_tiers') }} as s
    left join activity_totals as a on a.customer_id = s.customer_id
    group by s.scheme, s.tier
),

tier_gaps as (
    select 'tier ' || p.scheme || ' ' || p.tier as what
    from {{ ref('tier_profitability') }} as p
    left join tier_sums as s on s.scheme = p.scheme and s.tier = p.tier
    where coalesce(s.customers, 0) <> p.customers
       or round(coalesce(s.cost_to_serve, 0), 2) <> round(p.cost_to_serve, 2)
)

select what from customer_gaps
union all
select what from tier_gaps
