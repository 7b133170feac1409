{#- MetricFlow's day time spine: every day of 2000-2100 (a view: nothing stored). -#}
select range::date as date_day
from range(date '2000-01-01', date '2101-01-01', interval 1 day)
