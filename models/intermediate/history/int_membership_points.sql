{#- The steps int_membership_replay takes: per customer and as-of date after the replay's start
    (the newest stored date with a club state; without one, the first date of tier history) up
    to D, its sequence number from 1, points (net revenue of the trailing 365 days x
    points_per_currency_unit, never below 0), the best level they earn, and whether the date is
    a review date. Each night after the first with a club state this is D alone; older stored
    nights without one (stored by a version before the club was kept) are replayed once. Stored
    sorted by (seq, customer_id): each step of the replay reads only its own rows. The stored
    nights' revenue is read from the files and D's from int_customer_profitability, not from
    int_tier_history: D's snapshot holds the replay's result. -#}
{%- set prototype -%}
    select null::date as as_of_date, null::{{ text_type() }} as customer_id, null::decimal(38, 2) as net_revenue
    where false
{%- endset %}

with params as (select as_of_date from {{ ref('int_run_parameters') }}),

rules as (
    select
        max(value) filter (where rule = 'points_per_currency_unit')::decimal(18, 4) as points_per_unit,
        max(value) filter (where rule = 'validity_days')::integer as validity_days,
        split(max(value) filter (where rule = 'review_dates'), ';') as review_dates
    from {{ ref('membership_rules') }}
),

levels as (select * from {{ ref('membership_level_thresholds') }}),

start as (select max(as_of_date) as as_of_date from {{ ref('int_stored_membership') }} where is_replay_start),

revenue as (
    select stored.as_of_date, stored.customer_id, stored.net_revenue
    from ({{ parquet_files_with_prototype(stored_snapshots(), prototype,
                                          ['as_of_date', 'customer_id', 'net_revenue']) }}) as stored
    cross join params
    cross join start
    where stored.as_of_date < params.as_of_date
        -- one comparison, not an or: DuckDB then skips the row groups of earlier dates unread
        and stored.as_of_date > coalesce(start.as_of_date, date '0001-01-01')
    union all
    select as_of_date, customer_id, net_revenue from {{ ref('int_customer_profitability') }}
),

points as (
    select
        revenue.customer_id,
        revenue.as_of_date,
        row_number() over (partition by revenue.customer_id order by revenue.as_of_date) as seq,
        floor(greatest(revenue.net_revenue, 0) * rules.points_per_unit)::decimal(38, 0) as points,
        array_contains(rules.review_dates, {{ format_date('revenue.as_of_date', '%m-%d') }}) as is_review_date,
        rules.validity_days
    from revenue
    cross join rules
)

select points.*, levels.level_rank as earned_rank,
       levels.level_rank = (select min(level_rank) from levels) as earns_top
from points
inner join levels on levels.min_points <= points.points
qualify row_number() over (partition by points.customer_id, points.as_of_date order by levels.level_rank) = 1
order by points.seq, points.customer_id
