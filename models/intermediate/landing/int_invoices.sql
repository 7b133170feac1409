select
    * exclude ({{ verdict_columns() }}) replace (coalesce(written_off, false) as written_off),
    {{ judgement(ref('int_invoices__validated')) }}
from {{ ref('int_invoices__validated') }}
where row_status = 'accepted'
