-- company_pnl equals the sum over customer_value (and over customer_cost_to_serve per activity), exactly.
with customers as (
    select 'net_revenue' as line_item, null as activity, sum(net_revenue)::decimal(38, 4) as expected from {{ ref('customer_value') }}
    union all select 'cogs', null, sum(cogs) from {{ ref('customer_value') }}
    union all select 'gross_margin', null, sum(gross_margin) from {{ ref('customer_value') }}
    union all select 'cost_to_serve', null, sum(cost_to_serve) from {{ ref('customer_value') }}
    union all select 'buyer_contribution', null, coalesce(sum(contribution) filter (where is_buyer), 0) from {{ ref('customer_value') }}
    union all select 'non_buyer_cost', null, coalesce(sum(cost_to_serve) filter (where not is_buyer), 0) from {{ ref('customer_value') }}
    union all select 'company_contribution', null,
        coalesce(sum(contribution) filter (where is_buyer), 0) - coalesce(sum(cost_to_serve) filter (where not is_buyer), 0)
        from {{ ref('customer_value') }}
    union all select 'cost_to_serve_by_activity', activity, sum(cost_to_serve) from {{ ref('customer_cost_to_serve') }} group by activity
)

select coalesce(c.line_item, p.line_item) as line_item, c.expected, p.amount
from customers as c
full join {{ ref('company_pnl') }} as p
    on p.line_item = c.line_item and p.activity is not distinct from c.activity
where c.expected is distinct from p.amount
