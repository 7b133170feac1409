{#- The steps membership_levels replays: per customer and as-of date in tier history, its
    sequence number, points (net revenue of the trailing 365 days x points_per_currency_unit,
    never below 0), the best level they earn, and whether the date is a review date. Stored
    sorted by (seq, customer_id): each step of the replay reads only its own rows (a CTE was
    read whole at every step, so the cost grew with the square of the stored nights). -#}
with rules as (
    select
        max(value) filter (where rule = 'points_per_currency_unit')::decimal(18, 4) as points_per_unit,
        max(value) filter (where rule = 'validity_days')::integer as validity_days,
        split(max(value) filter (where rule = 'review_dates'), ';') as review_dates
    from {{ ref('membership_rules') }}
),

levels as (select * from {{ ref('membership_level_thresholds') }}),

points as (
    select
        h.customer_id,
        h.as_of_date,
        row_number() over (partition by h.customer_id order by h.as_of_date) as seq,
        floor(greatest(h.net_revenue, 0) * rules.points_per_unit)::decimal(38, 0) as points,
        array_contains(rules.review_dates, {{ format_date('h.as_of_date', '%m-%d') }}) as is_review_date,
        rules.validity_days
    from {{ ref('int_tier_history') }} as h
    cross join rules
)

select points.*, levels.level_rank as earned_rank,
       levels.level_rank = (select min(level_rank) from levels) as earns_top
from points
inner join levels on levels.min_points <= points.points
qualify row_number() over (partition by points.customer_id, points.as_of_date order by levels.level_rank) = 1
order by points.seq, points.customer_id
