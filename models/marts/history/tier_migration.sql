{#- Movement between tiers, per scheme, between consecutive compared dates (month ends by
    default, var migration_period; D itself is always compared with the date before it).
    A customer not known on a date is 'absent' there; a known non-buyer is 'non_buyer'.
    Only the compared dates are read: two filters a stored file's date can skip on. -#}
with history as (
    select as_of_date, customer_id, scheme_tiers, net_revenue, contribution
    from {{ ref('int_tier_history') }}
    {%- if var('migration_period') == 'month_end' %}
    where as_of_date = last_day(as_of_date)
    union all
    select as_of_date, customer_id, scheme_tiers, net_revenue, contribution
    from {{ ref('int_tier_history') }}
    where as_of_date = (select as_of_date from {{ ref('int_run_parameters') }})
      and as_of_date <> last_day(as_of_date)
    {%- endif %}
),

dates as (select distinct as_of_date from history),

pairs as (
    select lag(as_of_date) over (order by as_of_date) as from_date, as_of_date as to_date
    from dates
    qualify from_date is not null
),

schemes as (
    select scheme, tier, tier_order from {{ ref('tier_schemes') }}
),

from_side as (
    select pairs.from_date, pairs.to_date, h.customer_id, h.scheme_tiers, h.net_revenue, h.contribution
    from pairs inner join history as h on h.as_of_date = pairs.from_date
),

to_side as (
    select pairs.from_date, pairs.to_date, h.customer_id, h.scheme_tiers, h.net_revenue, h.contribution
    from pairs inner join history as h on h.as_of_date = pairs.to_date
),

-- customers are matched once per pair, then spread over the schemes (a join per scheme
-- would match every customer once for each scheme)
matched as (
    select
        coalesce(a.from_date, b.from_date) as from_date,
        coalesce(a.to_date, b.to_date) as to_date,
        a.customer_id is not null as known_before,
        b.customer_id is not null as known_after,
        a.scheme_tiers as tiers_before,
        b.scheme_tiers as tiers_after,
        a.net_revenue as net_revenue_before,
        b.net_revenue as net_revenue_after,
        a.contribution as contribution_before,
        b.contribution as contribution_after
    from from_side as a
    full join to_side as b
        on b.from_date = a.from_date and b.to_date = a.to_date and b.customer_id = a.customer_id
),

moves as (
    select
        matched.from_date,
        matched.to_date,
        s.scheme,
        case when matched.known_before then coalesce(matched.tiers_before[s.scheme], 'non_buyer') else 'absent' end as from_tier,
        case when matched.known_after then coalesce(matched.tiers_after[s.scheme], 'non_buyer') else 'absent' end as to_tier,
        matched.net_revenue_before,
        matched.net_revenue_after,
        matched.contribution_before,
        matched.contribution_after
    from matched
    cross join (select distinct scheme from schemes) as s
)

select
    params.as_of_date::date as as_of_date,
    from_date,
    to_date,
    moves.scheme,
    from_tier,
    to_tier,
    case
        when from_tier in ('non_buyer', 'absent') and to_tier in ('non_buyer', 'absent') then 'not a buyer'
        when from_tier in ('non_buyer', 'absent') then 'new buyer'
        when to_tier in ('non_buyer', 'absent') then 'lost buyer'
        when f.tier_order > t.tier_order then 'upgrade'
        when f.tier_order < t.tier_order then 'downgrade'
        else 'unchanged'
    end as movement,
    count(*)::bigint as customers,
    coalesce(sum(net_revenue_before), 0)::decimal(38, 2) as net_revenue_before,
    coalesce(sum(net_revenue_after), 0)::decimal(38, 2) as net_revenue_after,
    coalesce(sum(contribution_before), 0)::decimal(38, 4) as contribution_before,
    coalesce(sum(contribution_after), 0)::decimal(38, 4) as contribution_after
from moves
left join schemes as f on f.scheme = moves.scheme and f.tier = moves.from_tier
left join schemes as t on t.scheme = moves.scheme and t.tier = moves.to_tier
cross join {{ ref('int_run_parameters') }} as params
group by all
order by from_date, moves.scheme, from_tier, to_tier
