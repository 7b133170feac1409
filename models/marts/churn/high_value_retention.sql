{#- High-value retention by cohort, from tier history: the cohort of date C is every customer in
    default pyramid tier A or B at C; it is followed up at F = the first built date on or after
    C + 6 months and before C + 7 months (a gap in history gives no cohort rather than a
    longer horizon); retained = still in tier A or B at F (a customer absent at F, or no longer
    a buyer, is not retained). Only cohorts with such an F appear (none while the history spans
    less than six months). -#}
with dates as (select distinct as_of_date from {{ ref('int_tier_history') }}),

-- only the high-value rows are read: a customer absent at F or out of A and B is not retained
high_value as (
    select as_of_date, customer_id
    from {{ ref('int_tier_history') }}
    where pyramid_tier in ('A', 'B')
),

cohorts as (
    select
        cohort.as_of_date as cohort_date,
        min(follow_up.as_of_date) as follow_up_date
    from dates as cohort
    inner join dates as follow_up
        on follow_up.as_of_date >= cohort.as_of_date + interval 6 month
        and follow_up.as_of_date < cohort.as_of_date + interval 7 month
    group by cohort.as_of_date
)

select
    params.as_of_date,
    cohorts.cohort_date,
    cohorts.follow_up_date,
    count(*) as high_value_customers,
    count(later.customer_id) as retained_customers,
    count(later.customer_id) / count(*) as retention_rate
from cohorts
inner join high_value as cohort_members on cohort_members.as_of_date = cohorts.cohort_date
left join high_value as later
    on later.as_of_date = cohorts.follow_up_date and later.customer_id = cohort_members.customer_id
cross join {{ ref('int_run_parameters') }} as params
group by params.as_of_date, cohorts.cohort_date, cohorts.follow_up_date
