-- For every compared pair and scheme, the from-side total is the earlier date's population
-- and the to-side total the later date's.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'tier_migration'}}}) }}

with history as (select as_of_date, count(*) as customers from {{ ref('int_tier_history') }} group by all),

sides as (
    select from_date, to_date, scheme,
           sum(customers) filter (where from_tier <> 'absent') as from_total,
           sum(customers) filter (where to_tier <> 'absent') as to_total
    from {{ ref('tier_migration') }}
    group by all
)

select sides.*, f.customers as from_population, t.customers as to_population
from sides
left join history as f on f.as_of_date = sides.from_date
left join history as t on t.as_of_date = sides.to_date
where sides.from_total is distinct from f.customers or sides.to_total is distinct from t.customers
