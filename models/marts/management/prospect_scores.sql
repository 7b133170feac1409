{#- Prospect score of every non-buyer known at D (prospects and lapsed customers): weighted
    percentile ranks (macro percentile_score) of the factors of seed prospect_score_factors:
    the buyer rate of its segment, region and industry among all customers, its service events
    in the window, its employees and its own yearly revenue (optional contract columns; a
    factor nobody has counts for nobody). Rank: score descending, ties by customer_id. -#}
with customers as (
    select
        p.as_of_date,
        p.customer_id,
        p.customer_name,
        p.is_buyer,
        p.buyer_status,
        p.segment,
        p.region,
        c.industry,
        c.employee_count,
        c.annual_revenue,
        coalesce(e.service_events, 0) as service_events
    from {{ ref('int_customer_profitability') }} as p
    left join {{ ref('int_customers') }} as c on c.customer_id = p.customer_id
    left join (
        select customer_id, sum(events) as service_events
        from {{ ref('int_customer_activity_costs') }}
        group by customer_id
    ) as e on e.customer_id = p.customer_id
),

rated as (
    select
        *,
        case when segment is not null then avg(is_buyer::integer) over (partition by segment) end as segment_buyer_rate,
        case when region is not null then avg(is_buyer::integer) over (partition by region) end as region_buyer_rate,
        case when industry is not null then avg(is_buyer::integer) over (partition by industry) end
            as industry_buyer_rate
    from customers
),

prospects as (
    select * from rated where not is_buyer
),

factor_values as (
    select customer_id, 'segment_buyer_rate' as factor, segment_buyer_rate::double as factor_value from prospects
    union all
    select customer_id, 'region_buyer_rate', region_buyer_rate::double from prospects
    union all
    select customer_id, 'service_engagement', service_events::double from prospects
    union all
    select customer_id, 'industry_buyer_rate', industry_buyer_rate::double from prospects
    union all
    select customer_id, 'employee_count', employee_count::double from prospects
    union all
    select customer_id, 'annual_revenue', annual_revenue::double from prospects
),

scores as (
    {{ percentile_score('factor_values', ref('prospect_score_factors'), none) }}
)

select
    p.as_of_date::date as as_of_date,
    p.customer_id::string as customer_id,
    p.customer_name::string as customer_name,
    p.buyer_status::string as buyer_status,
    p.segment::string as segment,
    p.region::string as region,
    p.industry::string as industry,
    p.employee_count::integer as employee_count,
    p.annual_revenue::decimal(18, 2) as annual_revenue,
    p.service_events::bigint as service_events,
    p.segment_buyer_rate::double as segment_buyer_rate,
    p.region_buyer_rate::double as region_buyer_rate,
    p.industry_buyer_rate::double as industry_buyer_rate,
    s.score::decimal(38, 4) as prospect_score,
    coalesce(s.factors_used, 0)::integer as factors_used,
    row_number() over (order by s.score desc nulls last, p.customer_id asc)::bigint as prospect_rank
from prospects as p
left join scores as s on s.customer_id = p.customer_id
