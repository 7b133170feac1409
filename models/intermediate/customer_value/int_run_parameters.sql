{#- The as-of date D and the 365-day window D - 365 < date <= D. var('as_of') is always given:
    the caller computes the default (tiering/landing.py default_as_of). -#}
{%- set as_of = var('as_of', '') | string -%}
{%- if execute and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
    {{ exceptions.raise_compiler_error("var as_of must be a date written YYYY-MM-DD, got '" ~ as_of ~ "' (build with warehouse-build or warehouse-run)") }}
{%- endif -%}

select
    date '{{ as_of }}' as as_of_date,
    date '{{ as_of }}' - 365 as window_start_exclusive,
    date '{{ as_of }}' - 364 as window_first_day
