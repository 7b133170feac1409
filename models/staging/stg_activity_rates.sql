{{ staged_rows('activity_rates') }}
