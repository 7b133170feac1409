{#- Every loyalty-club event, over the stored snapshots before D and D itself: one row per
    customer and date on which a rule fired (joined, expired, review date, top upgrade), with
    the state after it and the level before it. Between events the state carries over, so the
    level on any date is the one of the customer's last event up to it; only the events are
    ranked, not every stored customer-date. -#}
with events as (
    select as_of_date, customer_id, membership_points as points, membership_points_level as points_level,
        membership_level as level, membership_since as level_since, membership_valid_until as valid_until,
        membership_reason as reason
    from {{ ref('int_stored_membership') }}
    where membership_event
    union all
    select as_of_date, customer_id, points, points_level, level, level_since, valid_until, reason
    from {{ ref('int_membership_replay') }}
    where is_event
)

select
    as_of_date,
    customer_id,
    points,
    points_level,
    lag(level) over (partition by customer_id order by as_of_date) as previous_level,
    level,
    level_since,
    valid_until,
    reason
from events
