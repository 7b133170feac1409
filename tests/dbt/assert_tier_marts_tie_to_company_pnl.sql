-- Every scheme of tier_profitability, the quadrants and the grid add up to company_pnl exactly,
-- in total and (through customer_scheme_tiers x customer_cost_to_serve) per activity; an activity
-- line missing on one side counts as zero there, and a P&L without its contribution line fails.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'tier_profitability'}}}) }}

with pnl as (
    select
        max(amount) filter (where line_item = 'net_revenue') as net_revenue,
        max(amount) filter (where line_item = 'cogs') as cogs,
        max(amount) filter (where line_item = 'gross_margin') as gross_margin,
        max(amount) filter (where line_item = 'cost_to_serve') as cost_to_serve,
        max(amount) filter (where line_item = 'company_contribution') as contribution
    from {{ ref('company_pnl') }}
),

groupings as (
    select 'tier_profitability ' || scheme as grouping, net_revenue, cogs, gross_margin, cost_to_serve, contribution
    from {{ ref('tier_profitability') }}
    union all
    select 'quadrant_profitability', net_revenue, cogs, gross_margin, cost_to_serve, contribution
    from {{ ref('quadrant_profitability') }}
    union all
    select 'grid_profitability', net_revenue, cogs, gross_margin, cost_to_serve, contribution
    from {{ ref('grid_profitability') }}
),

sums as (
    select grouping, sum(net_revenue) as net_revenue, sum(cogs) as cogs, sum(gross_margin) as gross_margin,
           sum(cost_to_serve) as cost_to_serve, sum(contribution) as contribution
    from groupings
    group by grouping
),

activity_pnl as (
    select activity, amount from {{ ref('company_pnl') }} where line_item = 'cost_to_serve_by_activity'
),

-- per activity, through the long marts: each scheme's customers carry every activity's cost once
activity_sums as (
    select 'customer_scheme_tiers ' || tiers.scheme as grouping, costs.activity, sum(costs.cost_to_serve) as amount
    from {{ ref('customer_scheme_tiers') }} as tiers
    inner join {{ ref('customer_cost_to_serve') }} as costs on costs.customer_id = tiers.customer_id
    group by all
),

-- every scheme against every activity line: a line missing on either side counts as zero
activity_expected as (
    select schemes.grouping, activity_pnl.activity, activity_pnl.amount
    from (select distinct 'customer_scheme_tiers ' || scheme as grouping from {{ ref('customer_scheme_tiers') }}) as schemes
    cross join activity_pnl
)

select sums.grouping, 'totals' as what
from sums cross join pnl
where sums.net_revenue is distinct from pnl.net_revenue or sums.cogs is distinct from pnl.cogs
   or sums.gross_margin is distinct from pnl.gross_margin
   or sums.cost_to_serve is distinct from pnl.cost_to_serve or sums.contribution is distinct from pnl.contribution
union all
select 'company_pnl', 'no company_contribution line'
from pnl
where pnl.contribution is null
union all
select coalesce(a.grouping, e.grouping), coalesce(a.activity, e.activity)
from activity_sums as a
full outer join activity_expected as e on e.grouping = a.grouping and e.activity = a.activity
where coalesce(a.amount, 0) <> coalesce(e.amount, 0)
