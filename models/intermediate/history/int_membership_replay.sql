{#- The loyalty club replayed over the steps of int_membership_points, from the newest stored
    club state (int_stored_membership; a customer without one joins on its first step): one row
    per customer and step date, with the state after the step. Rules, in order: a customer joins
    at the level its points earn; a level past its valid_until expires and is recomputed; on a
    review date (06-30, 12-31 by default) points are recomputed: a higher level is granted, the
    same level is renewed, a lower level waits until validity ends (within validity a level only
    goes up); between review dates only the top level is granted, at once. Every grant is valid
    for validity_days. is_event: a rule fired on the date (joined, expired, review date, top
    upgrade); otherwise the state and its reason carry over. A stored level the seed no longer
    has counts as no state. -#}
with levels as (select * from {{ ref('membership_level_thresholds') }}),

stored as (
    select s.customer_id, s.as_of_date, l.level_rank, s.membership_since, s.membership_valid_until,
        s.membership_reason
    from {{ ref('int_stored_membership') }} as s
    inner join levels as l on l.level = s.membership_level
    where s.is_replay_start
),

replay as (
    with recursive state as (
        select * from (
            select customer_id, 0::bigint as seq, as_of_date, null::decimal(38, 0) as points,
                null::integer as earned_rank, level_rank, membership_since as level_since,
                membership_valid_until as valid_until, membership_reason as reason, false as is_event
            from stored
            union all
            select p.customer_id, p.seq, p.as_of_date, p.points, p.earned_rank, p.earned_rank as level_rank,
                p.as_of_date as level_since, p.as_of_date + p.validity_days - 1 as valid_until,
                'joined at the level its points earn' as reason, true as is_event
            from {{ ref('int_membership_points') }} as p
            left join stored on stored.customer_id = p.customer_id
            where p.seq = 1 and stored.customer_id is null
        ) as anchor
        union all
        select
            customer_id, seq, as_of_date, points, earned_rank,
            case when granted then earned_rank else old_rank end as level_rank,
            case when granted and earned_rank <> old_rank then as_of_date else level_since end as level_since,
            case when granted then as_of_date + validity_days - 1 else old_until end as valid_until,
            case
                when expired then 'expired on ' || old_until || ': recomputed from points'
                when is_review_date and earned_rank < old_rank then 'review date: upgraded by points'
                when is_review_date and earned_rank = old_rank then 'review date: level confirmed and renewed'
                when is_review_date then 'review date: points earn a lower level; kept until validity ends (up only)'
                when top_upgrade then 'reached the top level: upgraded at once'
                else old_reason
            end as reason,
            expired or is_review_date or top_upgrade as is_event
        from (
            select
                e.*, s.level_rank as old_rank, s.level_since, s.valid_until as old_until, s.reason as old_reason,
                s.valid_until < e.as_of_date as expired,
                e.earns_top and e.earned_rank < s.level_rank as top_upgrade,
                (s.valid_until < e.as_of_date)
                    or (e.is_review_date and e.earned_rank <= s.level_rank)
                    or (e.earns_top and e.earned_rank < s.level_rank) as granted
            from state as s
            inner join {{ ref('int_membership_points') }} as e on e.customer_id = s.customer_id and e.seq = s.seq + 1
        ) as step
    )

    select * from state where seq > 0
)

select
    replay.as_of_date,
    replay.customer_id,
    replay.points,
    earned.level as points_level,
    current_level.level,
    replay.level_rank,
    replay.level_since,
    replay.valid_until,
    replay.reason,
    replay.is_event
from replay
inner join levels as current_level on current_level.level_rank = replay.level_rank
inner join levels as earned on earned.level_rank = replay.earned_rank
