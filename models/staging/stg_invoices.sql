{{ staged_rows('invoices') }}
