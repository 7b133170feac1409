select order_id, line_number, product_id, quantity, unit_price, discount_amount, unit_cost, source_file,
    {{ judgement(ref('int_order_lines__validated')) }}
from {{ ref('int_order_lines__validated') }}
where row_status = 'accepted'
