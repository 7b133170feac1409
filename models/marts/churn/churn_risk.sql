{#- Churn-risk score 0-100 of every buyer at D with the attribute values, bins and bin lapse
    rates it rests on (rule: int_churn_scores); is_high_risk = score >= setting churn_high_risk_score. -#}
select
    scores.snapshot_date as as_of_date,
    scores.customer_id,
    scores.churn_risk_score,
    scores.churn_risk_score >= settings.value as is_high_risk,
    scores.churn_probability,
    attributes.recency_days,
    attributes.mean_gap_days,
    scores.recency_ratio,
    scores.recency_ratio_bin,
    scores.recency_ratio_lapse_rate,
    scores.spend_trend,
    scores.spend_trend_bin,
    scores.spend_trend_lapse_rate,
    scores.late_days,
    scores.late_days_bin,
    scores.late_days_lapse_rate,
    scores.service_intensity,
    scores.service_intensity_bin,
    scores.service_intensity_lapse_rate,
    scores.base_rate,
    scores.calibration_date,
    scores.calibration_buyers,
    clv.p_alive
from {{ ref('int_churn_scores') }} as scores
inner join {{ ref('int_run_parameters') }} as params on params.as_of_date = scores.snapshot_date
inner join {{ ref('int_churn_attributes') }} as attributes
    on attributes.snapshot_date = scores.snapshot_date and attributes.customer_id = scores.customer_id
inner join {{ ref('churn_settings') }} as settings on settings.setting = 'churn_high_risk_score'
left join {{ ref('int_clv_predictions') }} as clv on clv.customer_id = scores.customer_id
