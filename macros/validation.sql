{#- Contract rules shared by the int_*__validated models. -#}

{# A reason when a required value is absent (an unparseable value already has its own). #}
{% macro missing(column) -%}
    case when {{ column }} is null and coalesce(typing_errors, '') not like '{{ column }} is not a valid%'
         then '{{ column }} is missing' end
{%- endmacro %}

{#- Every row of `relation` with how it stands against re-deliveries of its key:
    'unkeyed'    a key column is null (quarantined by the key rule),
    'superseded' a later file delivered the key again (the file that sorts last wins),
    'duplicate'  an identical copy of a row in the same file (one copy is kept),
    'conflict'   the same file holds different versions of the key (all are quarantined),
    'latest'     the version that counts.
    Keys delivered once (nearly all) skip the window functions: one hash aggregate finds them. -#}
{% macro with_delivery_state(relation, key_columns) %}
    {%- set key = key_columns | join(', ') -%}
    {%- set unkeyed -%}({% for k in key_columns %}{{ k }} is null{% if not loop.last %} or {% endif %}{% endfor %}){%- endset -%}
    with delivered as (
        select * from {{ relation }}
    ),
    versions as (
        select {{ key }}, count(*) as versions
        from delivered
        where not {{ unkeyed }}
        group by all
    )
    select delivered.*, 'latest' as delivery_state
    from delivered semi join (select {{ key }} from versions where versions = 1) as once using ({{ key }})
    union all
    select delivered.*,
        case
            when source_file < max(source_file) over (partition by {{ key }}) then 'superseded'
            when min(landed_hash) over (partition by {{ key }}, source_file)
                 <> max(landed_hash) over (partition by {{ key }}, source_file) then 'conflict'
            when row_number() over (partition by {{ key }}, source_file order by landed_hash) > 1 then 'duplicate'
            else 'latest'
        end
    from delivered semi join (select {{ key }} from versions where versions > 1) as again using ({{ key }})
    union all
    select delivered.*, 'unkeyed' from delivered where {{ unkeyed }}
{% endmacro %}

{#- Final status of a landed row from its delivery state and its list of issues. -#}
{% macro row_status(state, issues) -%}
    case
        when {{ state }} in ('superseded', 'duplicate') then 'superseded'
        when {{ issues }} is not null then 'quarantined'
        else 'accepted'
    end
{%- endmacro %}

{% macro conflict_reason(state) -%}
    case when {{ state }} = 'conflict' then 'conflicting versions of this key in one file' end
{%- endmacro %}

{#- A reference to another table: its current versions, one row per key, accepted or not. -#}
{% macro current_keys(relation, key) -%}
    select {{ key }} as ref_key, bool_or(row_status = 'accepted') as is_accepted
    from {{ relation }}
    where row_status <> 'superseded' and {{ key }} is not null
    group by {{ key }}
{%- endmacro %}

{% macro reference_reason(alias, column, what) -%}
    case
        when {{ column }} is not null and {{ alias }}.is_accepted is null then 'unknown {{ what }} "' || {{ column }} || '"'
        when not {{ alias }}.is_accepted then '{{ what }} "' || {{ column }} || '" is quarantined'
    end
{%- endmacro %}

{#- The staged rows a validated model must (re)judge. A full build: all of them. An
    incremental run: every version of each key (`touch_key`) that a new file delivered or
    that a `cascade` condition names (a parent re-judged in this run), plus new unkeyed rows. -#}
{% macro rows_to_validate(relation, touch_key, cascades=[]) %}
    {%- if is_incremental() -%}
    {%- set key = touch_key | join(', ') -%}
    {%- set unkeyed -%}({% for k in touch_key %}{{ k }} is null{% if not loop.last %} or {% endif %}{% endfor %}){%- endset -%}
    {%- set new_file = "source_file not in (select distinct source_file from " ~ this ~ ")" -%}
    select * from {{ relation }}
    where ({{ key }}) in (
        select {{ key }} from {{ relation }}
        where not {{ unkeyed }} and ({{ new_file }}{% for c in cascades %} or {{ c }}{% endfor %})
    )
    or ({{ unkeyed }} and {{ new_file }})
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{% endmacro %}

{#- Keys of a parent validated model re-judged in this run. -#}
{% macro rejudged(relation, column) -%}
    (select {{ column }} from {{ relation }} where validated_in = '{{ invocation_id }}')
{%- endmacro %}
