select activity, driver_unit, rate_per_unit, valid_from, valid_to, valid_until, source_file,
    {{ judgement(ref('int_activity_rates__validated')) }}
from {{ ref('int_activity_rates__validated') }}
where row_status = 'accepted'
