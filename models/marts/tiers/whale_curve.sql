{#- Buyers ranked by contribution (descending; ties by customer_id), with cumulative shares of
    buyers and of buyers' total contribution (share rule: macro signed_share, part / |total|),
    so the curve ends at 1 for a profit, at -1 for a loss, and has no profit share when the
    total is zero. A final row of row_type 'peak' repeats the highest point (the largest
    cumulative contribution, the earliest rank on a tie) with a sentence for people. -#}
with ranked as (
    select
        customer_id,
        contribution,
        row_number() over (order by contribution desc, customer_id asc) as customer_rank,
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
        total_contribution,
        (customer_rank / buyers)::double as cumulative_customer_share,
        {{ signed_share('cumulative_contribution', 'total_contribution') }} as cumulative_profit_share
    from curve
),

peak as (
    select 'peak' as row_type, {{ star_except('row_type') }}  -- row_type is the first column of shares
    from shares
    qualify row_number() over (order by cumulative_contribution desc, customer_rank asc) = 1
)

select
    params.as_of_date::date as as_of_date,
    row_type::string as row_type,
    customer_rank::bigint as customer_rank,
    customer_id::string as customer_id,
    contribution::decimal(38, 4) as contribution,
    cumulative_contribution::decimal(38, 4) as cumulative_contribution,
    total_contribution::decimal(38, 4) as total_contribution,
    cumulative_customer_share::double as cumulative_customer_share,
    cumulative_profit_share::double as cumulative_profit_share,
    case when row_type = 'peak'
         then 'top ' || round(cumulative_customer_share * 100, 1) || '% of buyers earn '
              || round(cumulative_contribution, 2)
              || case
                     when total_contribution > 0 then ', ' || round(cumulative_profit_share * 100, 1)
                          || '% of buyers'' total profit of ' || round(total_contribution, 2)
                     when total_contribution < 0 then ', ' || round(cumulative_profit_share * 100, 1)
                          || '% of the size of buyers'' total loss of ' || round(total_contribution, 2)
                     else '; buyers'' total contribution is zero'
                 end end::string as summary
from (select * from shares union all select * from peak) as curve
cross join {{ ref('int_run_parameters') }} as params
