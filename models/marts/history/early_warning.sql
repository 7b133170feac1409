{#- High-tier customers (default pyramid tier A or B, or quadrant platinum or gold, at D or at
    the previous built date) with what went wrong since that date: the list an account manager
    calls first, most valuable first. History is read per date (each stored file holds one). -#}
with params as (select * from {{ ref('int_run_parameters') }}),

previous_date as (
    select max(h.as_of_date) as as_of_date
    from {{ ref('int_tier_history') }} as h, params
    where h.as_of_date < params.as_of_date
),

now as (select h.* from {{ ref('int_tier_history') }} as h, params where h.as_of_date = params.as_of_date),

before as (select h.* from {{ ref('int_tier_history') }} as h inner join previous_date as p on p.as_of_date = h.as_of_date),

tier_order as (
    select tier, tier_order from {{ ref('tier_schemes') }} where is_default
),

compared as (
    select
        now.as_of_date,
        before.as_of_date as compared_with,
        now.customer_id,
        before.pyramid_tier as tier_before,
        now.pyramid_tier as tier_now,
        before.quadrant as quadrant_before,
        now.quadrant as quadrant_now,
        before.recency_days as recency_before,
        now.recency_days as recency_now,
        before.p_alive as p_alive_before,
        now.p_alive as p_alive_now,
        now.cost_to_serve,
        now.gross_margin,
        before.cost_to_serve <= before.gross_margin as margin_covered_before,
        coalesce(before.contribution, now.contribution) as contribution_before,
        coalesce(tb.tier_order, 99) as order_before,
        coalesce(tn.tier_order, 99) as order_now
    from now
    left join before on before.customer_id = now.customer_id
    left join tier_order as tb on tb.tier = before.pyramid_tier
    left join tier_order as tn on tn.tier = now.pyramid_tier
    where before.pyramid_tier in ('A', 'B') or now.pyramid_tier in ('A', 'B')
       or before.quadrant in ('platinum', 'gold') or now.quadrant in ('platinum', 'gold')
),

reasons as (
    select
        *,
        nullif(concat_ws('; ',
            case when order_now > order_before
                 then 'pyramid tier fell from ' || tier_before || ' to ' || coalesce(tier_now, 'no tier (no purchase in the window)') end,
            case when quadrant_before in ('platinum', 'gold') and coalesce(quadrant_now, 'none') not in ('platinum', 'gold')
                 then 'quadrant fell from ' || quadrant_before || ' to ' || coalesce(quadrant_now, 'none') end,
            case when recency_now > {{ setting('early_warning_recency_days') }}
                  and coalesce(recency_before, 0) <= {{ setting('early_warning_recency_days') }}
                 then 'no purchase for ' || recency_now || ' days' end,
            case when p_alive_before - p_alive_now >= {{ setting('early_warning_p_alive_drop') }}
                 then 'probability alive fell from ' || round(p_alive_before, 2) || ' to ' || round(p_alive_now, 2) end,
            case when cost_to_serve > gross_margin and coalesce(margin_covered_before, true)
                 then 'cost to serve ' || round(cost_to_serve, 2) || ' now above gross margin ' || gross_margin end
        ), '') as reasons
    from compared
)

select
    as_of_date,
    compared_with,
    customer_id,
    tier_before,
    tier_now,
    quadrant_before,
    quadrant_now,
    recency_now::integer as recency_days,
    p_alive_before,
    p_alive_now,
    contribution_before::decimal(38, 4) as contribution_before,
    reasons,
    row_number() over (order by contribution_before desc, customer_id asc)::bigint as call_priority
from reasons
where reasons is not null
order by call_priority
