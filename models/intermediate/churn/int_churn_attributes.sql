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
    lapsed: no completed order in S < date <= S + h; null when S + h is after D. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

horizon as (
    select value as days from {{ ref('churn_settings') }} where setting = 'churn_horizon_days'
),

snapshots as (
    select params.as_of_date - (step * horizon.days)::integer as snapshot_date, params.as_of_date
    from params cross join horizon cross join range(3) as steps(step)
),

purchase_days as (
    select customer_id, order_date, net_revenue
    from {{ ref('int_customer_daily_sales') }}
    where completed_orders > 0
),

purchases as (
    select
        snapshots.snapshot_date,
        purchase_days.customer_id,
        count(*) as purchase_days,
        min(purchase_days.order_date) as first_purchase,
        max(purchase_days.order_date) as last_purchase,
        coalesce(sum(purchase_days.net_revenue) filter (where purchase_days.order_date > snapshots.snapshot_date - 365), 0) as net_revenue,
        coalesce(sum(purchase_days.net_revenue) filter (where purchase_days.order_date > snapshots.snapshot_date - 182), 0) as net_revenue_recent_half
    from snapshots
    inner join purchase_days on purchase_days.order_date <= snapshots.snapshot_date
    group by all
    having max(purchase_days.order_date) > snapshots.snapshot_date - 365
),

rhythm as (
    select
        *,
        case when purchase_days > 1 then {{ days_between('first_purchase', 'last_purchase') }} / (purchase_days - 1) end as mean_gap_days
    from purchases
),

typical_gap as (
    select snapshot_date, median(mean_gap_days) as median_gap_days from rhythm group by snapshot_date
),

lateness as (
    select
        snapshots.snapshot_date,
        invoices.customer_id,
        avg(greatest(0, {{ days_between('coalesce(invoices.due_date, invoices.invoice_date)',
                                          'case when invoices.paid_date <= snapshots.snapshot_date then invoices.paid_date else snapshots.snapshot_date end') }})) as late_days
    from snapshots
    inner join {{ ref('int_invoices') }} as invoices
        on invoices.invoice_date > snapshots.snapshot_date - 365
       and coalesce(invoices.due_date, invoices.invoice_date) <= snapshots.snapshot_date
    group by all
),

service as (
    select
        snapshots.snapshot_date,
        events.customer_id,
        sum(events.quantity::decimal(38, 2) * events.rate_per_unit)::decimal(38, 4) as cost_to_serve
    from snapshots
    inner join {{ ref('int_service_events') }} as events
        on events.event_date > snapshots.snapshot_date - 365 and events.event_date <= snapshots.snapshot_date
    group by all
),

later_purchases as (
    select distinct snapshots.snapshot_date, purchase_days.customer_id
    from snapshots
    cross join horizon
    inner join purchase_days
        on purchase_days.order_date > snapshots.snapshot_date
       and purchase_days.order_date <= snapshots.snapshot_date + horizon.days::integer
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
    lateness.late_days::double as late_days,
    case when rhythm.net_revenue > 0
         then {{ divide_as_double('coalesce(service.cost_to_serve, 0)', 'rhythm.net_revenue') }} end as service_intensity,
    case when rhythm.snapshot_date + horizon.days::integer <= snapshots.as_of_date
         then later_purchases.customer_id is null end as lapsed
from rhythm
inner join snapshots on snapshots.snapshot_date = rhythm.snapshot_date
cross join horizon
left join typical_gap on typical_gap.snapshot_date = rhythm.snapshot_date
left join lateness on lateness.snapshot_date = rhythm.snapshot_date and lateness.customer_id = rhythm.customer_id
left join service on service.snapshot_date = rhythm.snapshot_date and service.customer_id = rhythm.customer_id
left join later_purchases on later_purchases.snapshot_date = rhythm.snapshot_date and later_purchases.customer_id = rhythm.customer_id
