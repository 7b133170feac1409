select * from {{ ref('int_customer_profitability') }}
order by customer_id
