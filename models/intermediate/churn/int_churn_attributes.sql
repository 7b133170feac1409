{#- Churn attributes of every buyer at the snapshot dates S = D, D - h and D - 2h (h = setting
    churn_horizon_days), each from data up to S only. A buyer at S has a completed order in
    S - 365 < date <= S.
    recency_ratio: days since the last purchase day / the customer's mean gap between purchase
      days up to S (a one-time buyer: / the median of the repeat buyers' mean gaps at S);
    spend_trend: (net revenue of S - 182 < date <= S - that of S - 365 < date <= S - 182) /
      (|recent| + |prior|), in -1..1, 0 when both are 0 (as int_customer_potential);
    late_days: mean days late of the invoices of the window due by S (paid after S counts as
      unpaid: S - due), never below 0; null without such invoices (as int_customer_credit);
    service_intensity: cost to serve of the window (quantity x the rate of each event's date)
      / net revenue of the window; null when net revenue <= 0.
    lapsed: no completed order in S < date <= S + h; null when S + h is after D.
    Each source is read once: one row per customer with a filtered aggregate per snapshot
    (suffix _0, _1, _2 for S = D - k x h), then one row per snapshot and buyer. -#}
{%- set steps = range(3) -%}
with params as (select * from {{ ref('int_run_parameters') }}),

horizon as (
    select value as days from {{ ref('churn_settings') }} where setting = 'churn_horizon_days'
),

dates as (
    select
        params.as_of_date,
        horizon.days::integer as horizon_days,
        {%- for k in steps %}
        params.as_of_date - ({{ k }} * horizon.days)::integer as s_{{ k }}{{ ',' if not loop.last }}
        {%- endfor %}
    from params
    cross join horizon
),

purchases as (
    select
        daily.customer_id,
        min(daily.order_date) as first_purchase,
        {%- for k in steps %}
        count(*) filter (where daily.order_date <= dates.s_{{ k }}) as purchase_days_{{ k }},
        max(daily.order_date) filter (where daily.order_date <= dates.s_{{ k }}) as last_purchase_{{ k }},
        coalesce(sum(daily.net_revenue) filter (
            where daily.order_date > dates.s_{{ k }} - 365 and daily.order_date <= dates.s_{{ k }}), 0) as net_revenue_{{ k }},
        coalesce(sum(daily.net_revenue) filter (
            where daily.order_date > dates.s_{{ k }} - 182 and daily.order_date <= dates.s_{{ k }}), 0) as net_revenue_recent_half_{{ k }},
        bool_or(daily.order_date > dates.s_{{ k }} and daily.order_date <= dates.s_{{ k }} + dates.horizon_days) as purchased_after_{{ k }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_customer_daily_sales') }} as daily
    cross join dates
    where daily.completed_orders > 0 and daily.order_date <= dates.as_of_date
    group by daily.customer_id
),

lateness as (
    select
        invoices.customer_id,
        {%- for k in steps %}
        avg(greatest(0, {{ days_between('coalesce(invoices.due_date, invoices.invoice_date)',
                                          'case when invoices.paid_date <= dates.s_' ~ k ~ ' then invoices.paid_date else dates.s_' ~ k ~ ' end') }}))
            filter (where invoices.invoice_date > dates.s_{{ k }} - 365
                      and coalesce(invoices.due_date, invoices.invoice_date) <= dates.s_{{ k }}) as late_days_{{ k }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_invoices') }} as invoices
    cross join dates
    where coalesce(invoices.due_date, invoices.invoice_date) <= dates.as_of_date
        and invoices.invoice_date > dates.s_{{ steps | last }} - 365
    group by invoices.customer_id
),

service as (
    select
        costs.customer_id,
        {%- for k in steps %}
        (sum(costs.cost) filter (where costs.event_date > dates.s_{{ k }} - 365 and costs.event_date <= dates.s_{{ k }}))::decimal(38, 4)
            as cost_to_serve_{{ k }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select customer_id, event_date, quantity::decimal(38, 2) * rate_per_unit as cost
        from {{ ref('int_service_events') }}
    ) as costs
    cross join dates
    where costs.event_date <= dates.as_of_date and costs.event_date > dates.s_{{ steps | last }} - 365
    group by costs.customer_id
),

customers as (
    select
        purchases.*,
        {%- for k in steps %}
        lateness.late_days_{{ k }},
        service.cost_to_serve_{{ k }}{{ ',' if not loop.last }}
        {%- endfor %}
    from purchases
    left join lateness on lateness.customer_id = purchases.customer_id
    left join service on service.customer_id = purchases.customer_id
),

-- one row per snapshot and buyer at it
snapshot_rows as (
    {%- for k in steps %}
    select
        dates.s_{{ k }} as snapshot_date,
        dates.s_{{ k }} + dates.horizon_days <= dates.as_of_date as lapse_known,
        c.customer_id,
        c.purchase_days_{{ k }} as purchase_days,
        c.first_purchase,
        c.last_purchase_{{ k }} as last_purchase,
        c.net_revenue_{{ k }} as net_revenue,
        c.net_revenue_recent_half_{{ k }} as net_revenue_recent_half,
        c.purchased_after_{{ k }} as purchased_after,
        c.late_days_{{ k }} as late_days,
        c.cost_to_serve_{{ k }} as cost_to_serve
    from customers as c
    cross join dates
    where c.last_purchase_{{ k }} > dates.s_{{ k }} - 365
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

rhythm as (
    select
        *,
        case when purchase_days > 1 then {{ days_between('first_purchase', 'last_purchase') }} / (purchase_days - 1) end as mean_gap_days
    from snapshot_rows
),

typical_gap as (
    select snapshot_date, median(mean_gap_days) as median_gap_days from rhythm group by snapshot_date
)

select
    rhythm.snapshot_date,
    rhythm.customer_id,
    rhythm.purchase_days,
    rhythm.last_purchase,
    {{ days_between('rhythm.last_purchase', 'rhythm.snapshot_date') }} as recency_days,
    rhythm.mean_gap_days,
    ({{ days_between('rhythm.last_purchase', 'rhythm.snapshot_date') }} / coalesce(rhythm.mean_gap_days, typical_gap.median_gap_days))::double as recency_ratio,
    coalesce({{ divide_as_double('2 * rhythm.net_revenue_recent_half - rhythm.net_revenue',
                                 'nullif(abs(rhythm.net_revenue_recent_half) + abs(rhythm.net_revenue - rhythm.net_revenue_recent_half), 0)') }},
             0.0) as spend_trend,
    rhythm.late_days::double as late_days,
    case when rhythm.net_revenue > 0
         then {{ divide_as_double('coalesce(rhythm.cost_to_serve, 0)', 'rhythm.net_revenue') }} end as service_intensity,
    case when rhythm.lapse_known then not rhythm.purchased_after end as lapsed
from rhythm
left join typical_gap on typical_gap.snapshot_date = rhythm.snapshot_date
