select invoice_id, customer_id, invoice_date, due_date, amount, paid_date, coalesce(written_off, false) as written_off, source_file,
    {{ judgement(ref('int_invoices__validated')) }}
from {{ ref('int_invoices__validated') }}
where row_status = 'accepted'
