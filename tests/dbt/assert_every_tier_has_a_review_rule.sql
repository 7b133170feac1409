-- Every tier of every scheme of tier_schemes, and each scheme's non_buyer, has a row in
-- tier_review_rules, and the seed names no other: else assignments get no review date.
-- Dagster: a blocking asset check of tier_review_rules (it reads several nodes)
{{ config(meta={'dagster': {'ref': {'name': 'tier_review_rules'}}}) }}
with tiers as (
    select scheme, tier from {{ ref('tier_schemes') }}
    union
    select distinct scheme, 'non_buyer' from {{ ref('tier_schemes') }}
)

select coalesce(t.scheme, r.scheme) as scheme, coalesce(t.tier, r.tier) as tier,
    case when r.scheme is null then 'no review rule' else 'rule for an unknown tier' end as problem
from tiers as t
full outer join {{ ref('tier_review_rules') }} as r on r.scheme = t.scheme and r.tier = t.tier
where t.scheme is null or r.scheme is null
