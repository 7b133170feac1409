{#- The source contract: every table delivers rows. A table with no accepted row (all quarantined
    or malformed) fails the run with one line naming each such table and its folder (error()
    raises it: a plain failing test would only say how many rows it found), unless var
    the inventory's allowed_empty_tables lists it (tiering/landing.py). Tables without any readable row are refused before dbt runs
    (tiering/landing.py). -#}
{%- set inventory = landing_inventory() -%}
{%- set allowed = inventory.get('allowed_empty_tables', []) -%}
with empty as (
    {%- set message -%}
        'contract table ''' || table_name || ''' has no accepted rows in ' || case table_name
        {%- for t in var('contract_tables') %}
            when '{{ t }}' then {{ sql_string(inventory.tables.get(t, {}).get('folder', '')) }}
        {%- endfor %}
        end
    {%- endset %}
    select {{ ordered_string_agg(message, "'; '", ['table_name']) }} as failure
    from {{ ref('landing_reconciliation') }}
    where rows_accepted = 0
    {%- if allowed %}
        and table_name not in {{ sql_in_list(allowed) }}
    {%- endif %}
)

select failure
from empty
where case when failure is not null then {{ raise_error('failure') }} is null else false end
