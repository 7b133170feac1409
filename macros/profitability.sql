{#- Profitability per group of customers. `members` is SQL returning customer_id plus the
    `keys` columns; `partition` lists the keys whose groups together make one whole (shares
    are within it). Sums are exact decimals; shares, ratios and averages are DOUBLE. -#}
{% macro profitability_by(members, keys, partition=[]) %}
    {%- set key_list = keys | join(', ') -%}
    {%- set over = ('partition by ' ~ (partition | join(', '))) if partition else '' -%}
with members as ({{ members }}),

figures as (
    select members.*, p.is_buyer, p.net_revenue, p.cogs, p.gross_margin, p.cost_to_serve, p.contribution
    from members
    inner join {{ ref('int_customer_profitability') }} as p on p.customer_id = members.customer_id
),

activity_costs as (
    select {{ key_list }}, costs.activity, sum(costs.cost_to_serve) as cost_to_serve
    from members
    inner join {{ ref('int_customer_activity_costs') }} as costs on costs.customer_id = members.customer_id
    group by all
),

activity_maps as (
    select {{ key_list }}, map_from_entries(list((activity, cost_to_serve) order by activity)) as cost_to_serve_by_activity
    from activity_costs
    group by all
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
)

select
    {% for k in keys %}grouped.{{ k }},{% endfor %}
    grouped.customers::bigint as customers,
    (grouped.customers / sum(grouped.customers) over ({{ over }}))::double as share_of_customers,
    grouped.buyers::bigint as buyers,
    (grouped.buyers / nullif(sum(grouped.buyers) over ({{ over }}), 0))::double as share_of_buyers,
    grouped.net_revenue::decimal(38, 2) as net_revenue,
    grouped.cogs::decimal(38, 2) as cogs,
    grouped.gross_margin::decimal(38, 2) as gross_margin,
    grouped.cost_to_serve::decimal(38, 4) as cost_to_serve,
    coalesce(activity_maps.cost_to_serve_by_activity, map())::map(varchar, decimal(38, 4)) as cost_to_serve_by_activity,
    grouped.contribution::decimal(38, 4) as contribution,
    (grouped.contribution / nullif(sum(grouped.contribution) over ({{ over }}), 0))::double as share_of_contribution,
    (grouped.cost_to_serve / nullif(grouped.net_revenue, 0))::double as cost_to_serve_to_revenue,
    (grouped.net_revenue / grouped.customers)::double as avg_net_revenue,
    (grouped.gross_margin / grouped.customers)::double as avg_gross_margin,
    (grouped.cost_to_serve / grouped.customers)::double as avg_cost_to_serve,
    (grouped.contribution / grouped.customers)::double as avg_contribution
from grouped
left join activity_maps using ({{ key_list }})
{%- endmacro %}
