select
    {{ star_except(verdict_columns()) }},
    {{ judgement(ref('int_order_lines__validated')) }}
from {{ ref('int_order_lines__validated') }}
where row_status = 'accepted'
