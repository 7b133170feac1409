{#- The rate of each activity in force at D (planned service is costed at today's rates). -#}
select
    params.as_of_date,
    rates.activity,
    rates.driver_unit,
    rates.rate_per_unit
from {{ ref('int_activity_rates') }} as rates
inner join {{ ref('int_run_parameters') }} as params
    on params.as_of_date between rates.valid_from and rates.valid_until
