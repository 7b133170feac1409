{#- The loyalty club at D: every customer's level, since when, valid until and why, from the
    replay (int_membership_replay; the rules are in that model), with the level above and the
    points still needed for it. -#}
with levels as (select * from {{ ref('membership_level_thresholds') }})

select
    club.as_of_date,
    club.customer_id,
    club.points,
    club.points_level,
    club.level,
    club.level_since,
    club.valid_until,
    club.reason,
    next_level.level as next_level,
    -- 0: the points already earn it (granted on the next review date); null at the top level
    case when next_level.level is not null
        then greatest(next_level.min_points - club.points, 0)::decimal(38, 0)
    end as points_to_next_level
from {{ ref('int_membership_replay') }} as club
inner join {{ ref('int_run_parameters') }} as params on params.as_of_date = club.as_of_date
left join levels as next_level on next_level.level_rank = club.level_rank - 1
