{#- Credit behaviour at D from invoices. An invoice is paid at D when paid_date <= D;
    days late = paid (or, if still open, D) minus due date, never below zero. -#}
with params as (select * from {{ ref('int_run_parameters') }}),

invoices as (
    select
        invoices.*,
        coalesce(invoices.due_date, invoices.invoice_date) as due,
        invoices.paid_date is not null and invoices.paid_date <= params.as_of_date as is_paid,
        invoices.invoice_date > params.window_start_exclusive as in_window,
        params.as_of_date
    from {{ ref('int_invoices') }} as invoices
    cross join params
    where invoices.invoice_date <= params.as_of_date
),

judged as (
    select
        *,
        greatest(0, {{ days_between('due', 'case when is_paid then paid_date else as_of_date end') }}) as days_late,
        (is_paid and paid_date > due) or (not is_paid and due < as_of_date) as is_late
    from invoices
)

select
    customer_id,
    count(*) filter (where in_window) as invoices_in_window,
    avg(days_late) filter (where in_window and due <= as_of_date) as avg_days_late,
    avg(is_late::integer) filter (where in_window and due <= as_of_date) as share_paid_late,
    coalesce(sum(amount) filter (where not is_paid and not written_off and due < as_of_date), 0)::decimal(38, 2) as overdue_balance,
    coalesce(sum(amount) filter (where written_off and in_window), 0)::decimal(38, 2) as amount_written_off
from judged
group by customer_id
