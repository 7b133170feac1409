{{ staged_rows('order_lines') }}
