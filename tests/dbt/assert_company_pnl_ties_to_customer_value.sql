-- company_pnl equals the sum over customer_value (and over customer_cost_to_serve per activity), exactly.
-- Each branch is cast to DECIMAL(38,4): a union of DECIMAL(38,2) and (38,4) rounds to two decimals.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'company_pnl'}}}) }}

with v as (select * from {{ ref('customer_value') }}),

customers as (
    select 'net_revenue' as line_item, null::string as activity, sum(net_revenue)::decimal(38, 4) as expected from v
    union all select 'cogs', null, sum(cogs)::decimal(38, 4) from v
    union all select 'gross_margin', null, sum(gross_margin)::decimal(38, 4) from v
    union all select 'cost_to_serve', null, sum(cost_to_serve)::decimal(38, 4) from v
    union all select 'buyer_contribution', null, coalesce(sum(contribution) filter (where is_buyer), 0)::decimal(38, 4) from v
    union all select 'non_buyer_cost', null, coalesce(sum(cost_to_serve) filter (where not is_buyer), 0)::decimal(38, 4) from v
    union all select 'company_contribution', null,
        (coalesce(sum(contribution) filter (where is_buyer), 0) - coalesce(sum(cost_to_serve) filter (where not is_buyer), 0))::decimal(38, 4)
        from v
    union all select 'cost_to_serve_by_activity', activity, sum(cost_to_serve)::decimal(38, 4)
        from {{ ref('customer_cost_to_serve') }} group by activity
)

select coalesce(c.line_item, p.line_item) as line_item, c.expected, p.amount
from customers as c
full join {{ ref('company_pnl') }} as p
    on p.line_item = c.line_item and p.activity is not distinct from c.activity
where c.expected is distinct from p.amount
