{#- Each tier's service policy (seed service_policies) with its order in the default pyramid
    (non_buyer last, 99) and its planned contacts per year (seed contact_cadences). -#}
select
    pol.tier,
    coalesce(schemes.tier_order, 99) as tier_order,
    pol.contact_cadence,
    pol.service_channel,
    cad.contacts_per_year,
    pol.small_balance_threshold,
    pol.small_balance_monthly_fee
from {{ ref('service_policies') }} as pol
left join {{ ref('contact_cadences') }} as cad on cad.contact_cadence = pol.contact_cadence
left join (select tier, tier_order from {{ ref('tier_schemes') }} where is_default) as schemes
    on schemes.tier = pol.tier
