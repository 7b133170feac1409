select
    {{ star_except(verdict_columns()) }}, event_ts::date as event_date,
    {{ judgement(ref('int_service_events__validated')) }}
from {{ ref('int_service_events__validated') }}
where row_status = 'accepted'
