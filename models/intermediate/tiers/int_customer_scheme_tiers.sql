{#- Every customer known at D in every scheme of seed tier_schemes: a buyer's tier from
    int_customer_pyramid, else non_buyer (order 99, as in tier_profitability). The one place
    that says which tier a customer holds, default scheme included. -#}
with schemes as (
    select scheme, basis, bool_or(is_default) as is_default_scheme
    from {{ ref('tier_schemes') }}
    group by scheme, basis
)

select
    p.as_of_date,
    p.customer_id,
    schemes.scheme,
    schemes.is_default_scheme,
    p.is_buyer,
    schemes.basis,
    pyramid.basis_value,
    pyramid.tier_rank::bigint as tier_rank,
    coalesce(pyramid.tier, 'non_buyer') as tier,
    coalesce(pyramid.tier_name, 'non-buyers') as tier_name,
    coalesce(pyramid.tier_order, 99)::integer as tier_order
from {{ ref('int_customer_profitability') }} as p
cross join schemes
left join {{ ref('int_customer_pyramid') }} as pyramid
    on pyramid.customer_id = p.customer_id and pyramid.scheme = schemes.scheme
