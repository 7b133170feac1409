-- The whale curve's last point is all buyers and exactly all of buyers' contribution: share 1
-- for a profit, -1 for a loss (share rule part / |total|), none for a zero total. A non-zero
-- buyers' contribution without a curve fails, and so does a P&L without that line.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'whale_curve'}}}) }}

with last_point as (
    select * from {{ ref('whale_curve') }} where row_type = 'customer'
    qualify customer_rank = max(customer_rank) over ()
),

buyers as (
    select amount from {{ ref('company_pnl') }} where line_item = 'buyer_contribution'
)

select last_point.customer_rank, 'last point' as what
from last_point cross join buyers
where last_point.cumulative_contribution is distinct from buyers.amount
   or last_point.cumulative_customer_share is distinct from 1.0
   or last_point.cumulative_profit_share is distinct from (case when buyers.amount <> 0 then sign(buyers.amount)::double end)
union all
-- a buyers' contribution needs a curve, and the P&L its buyer_contribution line
select null, 'no last point'
from (select count(*) as points from last_point) as curve cross join buyers
where buyers.amount <> 0 and curve.points = 0
union all
select null, 'no buyer_contribution line'
from (select count(*) as lines from buyers) as pnl
where pnl.lines = 0
