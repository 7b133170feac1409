{#- The as-of date D and the 365-day window D - 365 < date <= D. Empty var('as_of') means
    the latest accepted order or event date. -#}
{%- set as_of = var('as_of', '') | string if var('as_of', '') else '' -%}
{%- if as_of and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
    {{ exceptions.raise_compiler_error("var as_of must be a date written YYYY-MM-DD, got '" ~ as_of ~ "'") }}
{%- endif -%}

with latest as (
    select max(activity_date) as latest_date
    from (
        select max(order_date) as activity_date from {{ ref('int_orders') }}
        union all
        select max(event_date) from {{ ref('int_service_events') }}
    )
),

as_of as (
    select {% if as_of %}date '{{ as_of }}'{% else %}latest_date{% endif %} as as_of_date
    from latest
)

select
    as_of_date,
    as_of_date - 365 as window_start_exclusive,
    as_of_date - 364 as window_first_day
from as_of
