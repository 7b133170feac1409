{#- Share of a signed total, the one rule for every profit share: part / |total|. The sign of
    a share is always the sign of its part (a loss-making group never shows a positive share);
    shares add up to 1 when the total is a profit and to -1 when it is a loss; null when the
    total is zero (no share of nothing). -#}
{% macro signed_share(part, total) -%}
    (case when ({{ total }}) <> 0 then {{ divide_as_double(part, 'abs(' ~ total ~ ')') }} end)
{%- endmacro %}

{#- Profitability per group of customers. `members` is SQL returning customer_id plus the
    `keys` columns; `categories` is SQL returning every group's keys, so an empty group still
    has its row (zeros). `partition` lists the keys whose groups together make one whole
    (shares are within it). Sums are exact decimals; shares, ratios and averages are DOUBLE. -#}
{% macro profitability_by(members, keys, categories, partition=[]) %}
    {%- set key_list = keys | join(', ') -%}
    {%- set over = ('partition by ' ~ (partition | join(', '))) if partition else '' -%}
with members as ({{ members }}),

figures as (
    select members.*, p.is_buyer, p.net_revenue, p.cogs, p.gross_margin, p.cost_to_serve, p.contribution
    from members
    inner join {{ ref('int_customer_profitability') }} as p on p.customer_id = members.customer_id
),

grouped as (
    select
        {{ key_list }},
        count(*) as customers,
        count(*) filter (where is_buyer) as buyers,
        sum(net_revenue) as net_revenue,
        sum(cogs) as cogs,
        sum(gross_margin) as gross_margin,
        sum(cost_to_serve) as cost_to_serve,
        sum(contribution) as contribution
    from figures
    group by all
),

all_groups as (
    select {{ key_list }} from ({{ categories }})
    union
    select {{ key_list }} from grouped
),

filled as (
    select
        {% for k in keys %}all_groups.{{ k }},{% endfor %}
        coalesce(grouped.customers, 0) as customers,
        coalesce(grouped.buyers, 0) as buyers,
        coalesce(grouped.net_revenue, 0) as net_revenue,
        coalesce(grouped.cogs, 0) as cogs,
        coalesce(grouped.gross_margin, 0) as gross_margin,
        coalesce(grouped.cost_to_serve, 0) as cost_to_serve,
        coalesce(grouped.contribution, 0) as contribution
    from all_groups
    left join grouped using ({{ key_list }})
),

totals as (
    select
        *,
        sum(customers) over ({{ over }}) as total_customers,
        sum(buyers) over ({{ over }}) as total_buyers,
        sum(contribution) over ({{ over }}) as total_contribution
    from filled
)

select
    params.as_of_date::date as as_of_date,
    {% for k in keys %}totals.{{ k }},{% endfor %}
    totals.customers::bigint as customers,
    (totals.customers / nullif(totals.total_customers, 0))::double as share_of_customers,
    totals.buyers::bigint as buyers,
    (totals.buyers / nullif(totals.total_buyers, 0))::double as share_of_buyers,
    totals.net_revenue::decimal(38, 2) as net_revenue,
    totals.cogs::decimal(38, 2) as cogs,
    totals.gross_margin::decimal(38, 2) as gross_margin,
    totals.cost_to_serve::decimal(38, 4) as cost_to_serve,
    totals.contribution::decimal(38, 4) as contribution,
    totals.total_contribution::decimal(38, 4) as total_contribution,
    {{ signed_share('totals.contribution', 'totals.total_contribution') }} as share_of_contribution,
    {{ divide_as_double('totals.cost_to_serve', 'nullif(totals.net_revenue, 0)') }} as cost_to_serve_to_revenue,
    {{ divide_as_double('totals.net_revenue', 'nullif(totals.customers, 0)') }} as avg_net_revenue,
    {{ divide_as_double('totals.gross_margin', 'nullif(totals.customers, 0)') }} as avg_gross_margin,
    {{ divide_as_double('totals.cost_to_serve', 'nullif(totals.customers, 0)') }} as avg_cost_to_serve,
    {{ divide_as_double('totals.contribution', 'nullif(totals.customers, 0)') }} as avg_contribution
from totals
cross join {{ ref('int_run_parameters') }} as params
{%- endmacro %}
