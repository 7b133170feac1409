select
    {{ star_except(verdict_columns()) }}, order_ts::date as order_date,
    {{ judgement(ref('int_orders__validated')) }}
from {{ ref('int_orders__validated') }}
where row_status = 'accepted'
