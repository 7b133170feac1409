select * from {{ ref('int_customer_profitability') }}
