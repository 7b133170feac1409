{#- Buyers ranked by contribution (descending; ties by customer_id), with cumulative shares of
    buyers and of buyers' total contribution; the curve ends at exactly 1. A final row of
    row_type 'peak' repeats the highest point with a sentence for people. Shares are null
    when buyers' total contribution is not positive (a whale curve then has no meaning). -#}
with ranked as (
    select
        customer_id,
        contribution,
        row_number() over (order by contribution desc, customer_id) as customer_rank,
        count(*) over () as buyers,
        sum(contribution) over () as total_contribution
    from {{ ref('int_customer_profitability') }}
    where is_buyer
),

curve as (
    select
        *,
        sum(contribution) over (order by customer_rank rows between unbounded preceding and current row) as cumulative_contribution
    from ranked
),

shares as (
    select
        'customer' as row_type,
        customer_rank,
        customer_id,
        contribution,
        cumulative_contribution,
        (customer_rank / buyers)::double as cumulative_customer_share,
        case when total_contribution > 0 then (cumulative_contribution / total_contribution)::double end as cumulative_profit_share
    from curve
),

peak as (
    select
        'peak' as row_type, customer_rank, customer_id, contribution, cumulative_contribution,
        cumulative_customer_share, cumulative_profit_share
    from shares
    where cumulative_profit_share is not null
    qualify row_number() over (order by cumulative_profit_share desc, customer_rank) = 1
)

select
    row_type::varchar as row_type,
    customer_rank::bigint as customer_rank,
    customer_id::varchar as customer_id,
    contribution::decimal(38, 4) as contribution,
    cumulative_contribution::decimal(38, 4) as cumulative_contribution,
    cumulative_customer_share::double as cumulative_customer_share,
    cumulative_profit_share::double as cumulative_profit_share,
    case when row_type = 'peak'
         then 'top ' || round(cumulative_customer_share * 100, 1) || '% of buyers earn '
              || round(cumulative_profit_share * 100, 1) || '% of profit' end::varchar as summary
from (select * from shares union all select * from peak)
