{#- Churn-risk score of every buyer at S = D and S = D - h (h = setting churn_horizon_days),
    calibrated at C = S - h on the purchase history itself (see int_churn_attributes):
    each attribute is binned (seed churn_bins; a missing value is bin 'none'); a bin's lapse
    rate at C = (buyers of the bin who lapsed + k x base rate) / (buyers of the bin + k), with
    k = setting churn_smoothing and base rate = the share of all buyers at C who lapsed.
    The bins' rates are combined as independent evidence (naive Bayes): log-odds = logit(base)
    + the sum over the four attributes of (logit(bin rate) - logit(base)); churn_probability
    is its logistic, churn_risk_score = round(100 x churn_probability), 0-100. When the base rate
    is 0 or 1 the probability is the base rate; with fewer buyers at C than setting
    churn_min_calibration_buyers both are null. -#}
{%- set ATTRIBUTES = ['recency_ratio', 'spend_trend', 'late_days', 'service_intensity'] -%}
with horizon as (
    select value as days from {{ ref('churn_settings') }} where setting = 'churn_horizon_days'
),

smoothing as (
    select value as k from {{ ref('churn_settings') }} where setting = 'churn_smoothing'
),

attributes as (select * from {{ ref('int_churn_attributes') }}),

bins as (
    select
        attribute,
        lower_bound,
        bin_label,
        lead(lower_bound) over (partition by attribute order by lower_bound) as upper_bound,
        row_number() over (partition by attribute order by lower_bound) = 1 as is_lowest
    from {{ ref('churn_bins') }}
),

all_values as (
    select
        attributes.snapshot_date,
        attributes.customer_id,
        attributes.lapsed,
        names.attribute,
        case names.attribute
            {%- for attribute in ATTRIBUTES %}
            when '{{ attribute }}' then attributes.{{ attribute }}
            {%- endfor %}
        end as value
    from attributes
    cross join (values {% for attribute in ATTRIBUTES %}('{{ attribute }}'){{ ', ' if not loop.last }}{% endfor %}) as names(attribute)
),

binned as (
    select all_values.*, coalesce(bins.bin_label, 'none') as bin_label
    from all_values
    left join bins
        on bins.attribute = all_values.attribute
       and (all_values.value >= bins.lower_bound or bins.is_lowest)
       and (all_values.value < bins.upper_bound or bins.upper_bound is null)
),

base as (
    select snapshot_date, count(*) as buyers, avg(lapsed::integer) as base_rate
    from attributes
    where lapsed is not null
    group by snapshot_date
    having count(*) >= (select value from {{ ref('churn_settings') }} where setting = 'churn_min_calibration_buyers')
),

bin_counts as (
    select snapshot_date, attribute, bin_label, count(*) as buyers, count(*) filter (where lapsed) as lapsed_buyers
    from binned
    where lapsed is not null
    group by all
),

scored_bins as (
    select
        binned.snapshot_date,
        binned.customer_id,
        binned.lapsed,
        binned.attribute,
        binned.value,
        binned.bin_label,
        binned.snapshot_date - horizon.days::integer as calibration_date,
        coalesce(base.buyers, 0) as calibration_buyers,
        base.base_rate,
        (coalesce(bin_counts.lapsed_buyers, 0) + smoothing.k * base.base_rate)
            / (coalesce(bin_counts.buyers, 0) + smoothing.k) as bin_rate
    from binned
    cross join horizon
    cross join smoothing
    left join base on base.snapshot_date = binned.snapshot_date - horizon.days::integer
    left join bin_counts
        on bin_counts.snapshot_date = base.snapshot_date
       and bin_counts.attribute = binned.attribute
       and bin_counts.bin_label = binned.bin_label
    where binned.snapshot_date > (select as_of_date from {{ ref('int_run_parameters') }}) - 2 * horizon.days
),

wide as (
    select
        snapshot_date,
        customer_id,
        any_value(lapsed) as lapsed,
        any_value(calibration_date) as calibration_date,
        any_value(calibration_buyers) as calibration_buyers,
        any_value(base_rate) as base_rate,
        {%- for attribute in ATTRIBUTES %}
        any_value(value) filter (where attribute = '{{ attribute }}') as {{ attribute }},
        any_value(bin_label) filter (where attribute = '{{ attribute }}') as {{ attribute }}_bin,
        any_value(bin_rate) filter (where attribute = '{{ attribute }}') as {{ attribute }}_lapse_rate{{ ',' if not loop.last }}
        {%- endfor %}
    from scored_bins
    group by snapshot_date, customer_id
),

combined as (
    select
        *,
        case when base_rate > 0 and base_rate < 1
             then 1 / (1 + exp(-(ln(base_rate / (1 - base_rate))
                  {%- for attribute in ATTRIBUTES %}
                  + ln({{ attribute }}_lapse_rate / (1 - {{ attribute }}_lapse_rate)) - ln(base_rate / (1 - base_rate))
                  {%- endfor %})))
             else base_rate
        end as churn_probability
    from wide
)

select
    *,
    round(100 * churn_probability)::integer as churn_risk_score
from combined
