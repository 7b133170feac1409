{#- MetricFlow's day time spine: every day of 2000-2100 (a view: nothing stored). -#}
{{ day_spine('2000-01-01', '2101-01-01') }}
