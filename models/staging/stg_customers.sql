{{ staged_rows('customers') }}
