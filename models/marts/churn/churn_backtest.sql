{#- The churn-risk score checked against what happened: buyers scored at B = D - h (rates
    calibrated at B - h, data up to B only), and who of them lapsed (no completed order in
    B < date <= D). Lift = lapse rate of the high-risk buyers (score >= setting
    churn_high_risk_score) / lapse rate of all scored buyers. One row; none when no buyer
    could be scored at B. -#}
with scores as (
    select * from {{ ref('int_churn_scores') }}
    where snapshot_date < (select as_of_date from {{ ref('int_run_parameters') }})
      and churn_risk_score is not null
),

threshold as (
    select value as score from {{ ref('churn_settings') }} where setting = 'churn_high_risk_score'
),

counted as (
    select
        scores.snapshot_date as backtest_date,
        any_value(scores.calibration_date) as calibration_date,
        threshold.score as high_risk_score,
        count(*) as scored_buyers,
        count(*) filter (where scores.lapsed) as lapsed_buyers,
        count(*) filter (where scores.churn_risk_score >= threshold.score) as high_risk_buyers,
        count(*) filter (where scores.churn_risk_score >= threshold.score and scores.lapsed) as high_risk_lapsed
    from scores
    cross join threshold
    group by scores.snapshot_date, threshold.score
)

select
    (select as_of_date from {{ ref('int_run_parameters') }}) as as_of_date,
    backtest_date,
    calibration_date,
    high_risk_score,
    scored_buyers,
    lapsed_buyers,
    lapsed_buyers / scored_buyers as base_rate,
    high_risk_buyers,
    high_risk_lapsed,
    high_risk_lapsed / nullif(high_risk_buyers, 0) as high_risk_lapse_rate,
    (high_risk_lapsed / nullif(high_risk_buyers, 0)) / nullif(lapsed_buyers / scored_buyers, 0) as lift
from counted
