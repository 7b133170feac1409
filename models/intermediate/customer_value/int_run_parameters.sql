{#- The as-of date D and the 365-day window D - 365 < date <= D. D is always given (macros/as_of.sql):
    the caller computes the default (tiering/landing.py default_as_of). -#}
{%- set as_of = run_as_of() -%}

select
    date '{{ as_of }}' as as_of_date,
    date '{{ as_of }}' - 365 as window_start_exclusive,
    date '{{ as_of }}' - 364 as window_first_day
