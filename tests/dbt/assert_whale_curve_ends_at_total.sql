-- The whale curve's last point is all buyers and exactly all of buyers' contribution: share 1
-- for a profit, -1 for a loss (share rule part / |total|), none for a zero total.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'whale_curve'}}}) }}

with last_point as (
    select * from {{ ref('whale_curve') }} where row_type = 'customer'
    qualify customer_rank = max(customer_rank) over ()
),

buyers as (
    select amount from {{ ref('company_pnl') }} where line_item = 'buyer_contribution'
)

select last_point.*
from last_point cross join buyers
where last_point.cumulative_contribution <> buyers.amount
   or last_point.cumulative_customer_share <> 1.0
   or last_point.cumulative_profit_share is distinct from (case when buyers.amount <> 0 then sign(buyers.amount)::double end)
