-- Exactly one default scheme; share schemes climb strictly to exactly 1; band schemes have
-- one open-ended lowest tier and strictly falling lower bounds.
-- Dagster: a blocking asset check of tier_schemes (it reads several nodes)
{{ config(meta={'dagster': {'ref': {'name': 'tier_schemes'}}}) }}
select 'default schemes: ' || count(distinct scheme) as problem
from {{ ref('tier_schemes') }} where is_default
having count(distinct scheme) <> 1
union all
select 'share scheme ' || scheme || ' does not end at 1'
from {{ ref('tier_schemes') }} where scheme_kind = 'share'
group by scheme having max_by(cumulative_share, tier_order) <> 1
union all
select 'share scheme ' || scheme || ' does not climb at tier ' || tier
from (
    select *, lag(cumulative_share) over (partition by scheme order by tier_order) as previous
    from {{ ref('tier_schemes') }} where scheme_kind = 'share'
) where cumulative_share <= coalesce(previous, 0) or cumulative_share is null
union all
select 'band scheme ' || scheme || ' needs exactly one tier without band_min, the last'
from (
    select *, tier_order = max(tier_order) over (partition by scheme) as is_last
    from {{ ref('tier_schemes') }} where scheme_kind = 'band'
)
group by scheme
having count(*) filter (where band_min is null) <> 1 or count(*) filter (where band_min is null and is_last) <> 1
union all
select 'band scheme ' || scheme || ' lower bounds do not fall at tier ' || tier
from (
    select *, lag(band_min) over (partition by scheme order by tier_order) as previous
    from {{ ref('tier_schemes') }} where scheme_kind = 'band'
) where band_min >= previous
union all
select 'tier ' || tier || ' of the default scheme has no service policy'
from {{ ref('tier_schemes') }} where is_default
  and tier not in (select tier from {{ ref('service_policies') }})
