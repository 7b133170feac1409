-- Accepted rates of one activity never have overlapping validity.
select a.activity, a.valid_from, b.valid_from as overlapping_from
from {{ ref('int_activity_rates') }} as a
inner join {{ ref('int_activity_rates') }} as b
    on a.activity = b.activity and a.valid_from < b.valid_from and b.valid_from <= a.valid_until
