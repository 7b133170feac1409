select
    {{ star_replace(verdict_columns(), {'written_off': 'coalesce(written_off, false)'}) }},
    {{ judgement(ref('int_invoices__validated')) }}
from {{ ref('int_invoices__validated') }}
where row_status = 'accepted'
