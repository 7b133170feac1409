select
    event_id, customer_id, event_ts, event_ts::date as event_date, activity, quantity,
    rate_per_unit, rate_valid_from, source_file,
    {{ judgement(ref('int_service_events__validated')) }}
from {{ ref('int_service_events__validated') }}
where row_status = 'accepted'
