{#- Quadrant, loyalty x value grid, lifecycle stage and problem flags per customer.
    Thresholds are quantiles among buyers from seed tier_settings (quantile_disc: an actual value). -#}
with customers as (
    select
        profitability.*,
        sales.active_months,
        potential.revenue_trend,
        potential.potential,
        potential.p_alive,
        potential.predicted_revenue_12m,
        churn.churn_risk_score,
        {{ days_between('profitability.first_order_date', 'profitability.as_of_date') }} as tenure_days
    from {{ ref('int_customer_profitability') }} as profitability
    left join {{ ref('int_customer_sales') }} as sales on sales.customer_id = profitability.customer_id
    left join {{ ref('int_customer_potential') }} as potential on potential.customer_id = profitability.customer_id
    left join {{ ref('int_churn_scores') }} as churn
        on churn.customer_id = profitability.customer_id and churn.snapshot_date = profitability.as_of_date
),

loyalty as (
    select
        customer_id,
        (percent_rank() over (order by tenure_days)
         + percent_rank() over (order by active_months)
         + percent_rank() over (order by coalesce(p_alive, 0))) / 3 as loyalty_score
    from customers
    where is_buyer
),

thresholds as (
    select
        {{ quantile_discrete('c.contribution', setting('quadrant_value_quantile')) }} as quadrant_value_min,
        {{ quantile_discrete('c.potential', setting('quadrant_potential_quantile')) }} as quadrant_potential_min,
        {{ quantile_discrete('c.contribution', setting('grid_value_quantile')) }} as grid_value_min,
        {{ quantile_discrete('l.loyalty_score', setting('grid_loyalty_quantile')) }} as grid_loyalty_min
    from customers as c
    inner join loyalty as l on l.customer_id = c.customer_id
),

flagged as (
    select
        c.*,
        l.loyalty_score,
        c.is_buyer and c.contribution >= t.quadrant_value_min as high_value,
        c.is_buyer and c.potential >= t.quadrant_potential_min as high_potential,
        c.is_buyer and c.contribution >= t.grid_value_min as high_grid_value,
        c.is_buyer and l.loyalty_score >= t.grid_loyalty_min as high_loyalty
    from customers as c
    cross join thresholds as t
    left join loyalty as l on l.customer_id = c.customer_id
)

select
    customer_id,
    loyalty_score,
    tenure_days,
    active_months,
    revenue_trend,
    potential,
    p_alive,
    predicted_revenue_12m,
    case
        when not is_buyer then null
        when high_value and high_potential then 'platinum'
        when high_value then 'gold'
        when high_potential then 'iron'
        else 'lead'
    end as quadrant,
    case
        when buyer_status = 'prospect' then 'F'
        when buyer_status = 'lapsed' then 'E'
        when high_loyalty and high_grid_value then 'A'
        when high_grid_value then 'B'
        when high_loyalty then 'C'
        else 'D'
    end as value_grid,
    case
        when buyer_status = 'prospect' then null
        when buyer_status = 'lapsed' then 'decline'
        when p_alive < {{ setting('lifecycle_decline_p_alive') }}
          or revenue_trend <= {{ setting('lifecycle_decline_trend') }}
          or churn_risk_score >= (select value from {{ ref('churn_settings') }} where setting = 'churn_high_risk_score')
            then 'decline'
        when tenure_days < {{ setting('lifecycle_exploration_days') }} then 'exploration'
        when tenure_days < {{ setting('lifecycle_formation_days') }} then 'formation'
        else 'stability'
    end as lifecycle_stage,
    nullif(concat_ws('; ',
        case when amount_written_off > 0 then 'written off ' || amount_written_off::string end,
        case when share_paid_late >= {{ setting('problem_late_share') }}
              and avg_days_late >= {{ setting('problem_late_days') }}
             then 'chronically late payer (' || round(share_paid_late * 100)::integer || '% late, '
                  || round(avg_days_late)::integer || ' days on average)' end,
        case when cost_to_serve > gross_margin and cost_to_serve > 0
             then 'cost to serve ' || round(cost_to_serve, 2)::string || ' above gross margin ' || gross_margin::string end,
        case when is_buyer and frequency <= {{ setting('problem_occasional_orders') }}
              and net_revenue / frequency < {{ setting('problem_small_order_value') }}
              and cost_to_serve > net_revenue
             then 'tiny occasional orders (' || frequency || ') with service costing more than they bring' end
    ), '') as problem_flags
from flagged
