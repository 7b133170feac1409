{{ staged_rows('orders') }}
