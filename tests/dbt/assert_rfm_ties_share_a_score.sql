-- Tie rule: equal recency, frequency or monetary values never fall in different scores.
select 'recency' as measure, recency_days::string as value from {{ ref('customer_value') }} where is_buyer
group by recency_days having count(distinct r_score) > 1
union all
select 'frequency', frequency::string from {{ ref('customer_value') }} where is_buyer
group by frequency having count(distinct f_score) > 1
union all
select 'monetary', monetary::string from {{ ref('customer_value') }} where is_buyer
group by monetary having count(distinct m_score) > 1
