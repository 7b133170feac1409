select
    {{ star_except(verdict_columns()) }},
    {{ judgement(ref('int_activity_rates__validated')) }}
from {{ ref('int_activity_rates__validated') }}
where row_status = 'accepted'
