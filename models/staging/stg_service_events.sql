{{ staged_rows('service_events') }}
