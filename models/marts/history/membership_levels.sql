{#- The loyalty club, replayed over every as-of date in tier history (one row per customer
    and date) from the steps of int_membership_points. Points = net revenue of the trailing
    365 days x points_per_currency_unit; the level the points earn is the best level whose
    min_points they reach. Rules, in order:
    a customer joins at the level its points earn; a level past its valid_until expires and
    is recomputed; on a review date (06-30, 12-31 by default) points are recomputed: a
    higher level is granted, the same level is renewed, a lower level waits until validity
    ends (within validity a level only goes up); between review dates only the top level is
    granted, at once. Every grant is valid for validity_days. points_to_next_level = the next
    level's min_points - points, at least 0. -#}
with levels as (select * from {{ ref('membership_level_thresholds') }}),

replay as (
    with recursive state as (
        select customer_id, seq, as_of_date, points, earned_rank, earned_rank as level_rank,
               as_of_date as level_since, as_of_date + validity_days - 1 as valid_until,
               'joined at the level its points earn' as reason
        from {{ ref('int_membership_points') }}
        where seq = 1
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
            end as reason
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

    select * from state
)

select
    replay.as_of_date,
    replay.customer_id,
    replay.points,
    earned.level as points_level,
    current_level.level,
    replay.level_since,
    replay.valid_until,
    replay.reason,
    next_level.level as next_level,
    -- 0: the points already earn it (granted on the next review date); null at the top level
    case when next_level.level is not null
        then greatest(next_level.min_points - replay.points, 0)::decimal(38, 0)
    end as points_to_next_level
from replay
inner join levels as current_level on current_level.level_rank = replay.level_rank
inner join levels as earned on earned.level_rank = replay.earned_rank
left join levels as next_level on next_level.level_rank = replay.level_rank - 1
