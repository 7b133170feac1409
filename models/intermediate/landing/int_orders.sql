select order_id, customer_id, order_ts, order_ts::date as order_date, channel, status, source_file,
    {{ judgement(ref('int_orders__validated')) }}
from {{ ref('int_orders__validated') }}
where row_status = 'accepted'
