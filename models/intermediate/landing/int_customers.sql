select customer_id, customer_name, segment, region, created_date, industry, employee_count, annual_revenue, source_file,
    {{ judgement(ref('int_customers__validated')) }}
from {{ ref('int_customers__validated') }}
where row_status = 'accepted'
