select
    {{ star_except(verdict_columns()) }},
    {{ judgement(ref('int_customers__validated')) }}
from {{ ref('int_customers__validated') }}
where row_status = 'accepted'
