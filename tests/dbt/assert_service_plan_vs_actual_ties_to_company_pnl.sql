-- Actual service cost in service_plan_vs_actual sums to company_pnl's cost to serve exactly,
-- in total and per activity.
-- Dagster: a blocking asset check of the mart it ties out (publish waits for it)
{{ config(meta={'dagster': {'ref': {'name': 'service_plan_vs_actual'}}}) }}

with plan as (
    select null::string as activity, sum(actual_cost) as amount from {{ ref('service_plan_vs_actual') }}
    union all
    select activity, sum(actual_cost) from {{ ref('service_plan_vs_actual') }} group by activity having sum(actual_events) > 0
),

pnl as (
    select activity, amount from {{ ref('company_pnl') }}
    where line_item in ('cost_to_serve', 'cost_to_serve_by_activity')
)

select coalesce(plan.activity, pnl.activity, 'total') as activity, plan.amount as plan_amount, pnl.amount as pnl_amount
from plan
full outer join pnl on plan.activity is not distinct from pnl.activity
where plan.amount is distinct from pnl.amount
