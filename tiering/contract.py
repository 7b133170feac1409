"""The source contract (../shared/source-contract.md) as data: tables, keys, column types."""

import pyarrow as pa

MONEY = pa.decimal128(18, 2)

TABLES: dict[str, dict] = {
    "customers": {
        "key": ("customer_id",),
        "schema": pa.schema(
            [
                ("customer_id", pa.string()),
                ("customer_name", pa.string()),
                ("segment", pa.string()),
                ("region", pa.string()),
                ("created_date", pa.date32()),
            ]
        ),
    },
    "orders": {
        "key": ("order_id",),
        "schema": pa.schema(
            [
                ("order_id", pa.string()),
                ("customer_id", pa.string()),
                ("order_ts", pa.timestamp("us")),
                ("channel", pa.string()),
                ("status", pa.string()),
            ]
        ),
    },
    "order_lines": {
        "key": ("order_id", "line_number"),
        "schema": pa.schema(
            [
                ("order_id", pa.string()),
                ("line_number", pa.int32()),
                ("product_id", pa.string()),
                ("quantity", pa.int32()),
                ("unit_price", MONEY),
                ("discount_amount", MONEY),
                ("unit_cost", MONEY),
            ]
        ),
    },
    "service_events": {
        "key": ("event_id",),
        "schema": pa.schema(
            [
                ("event_id", pa.string()),
                ("customer_id", pa.string()),
                ("event_ts", pa.timestamp("us")),
                ("activity", pa.string()),
                ("quantity", MONEY),
            ]
        ),
    },
    "invoices": {
        "key": ("invoice_id",),
        "schema": pa.schema(
            [
                ("invoice_id", pa.string()),
                ("customer_id", pa.string()),
                ("invoice_date", pa.date32()),
                ("due_date", pa.date32()),
                ("amount", MONEY),
                ("paid_date", pa.date32()),
                ("written_off", pa.bool_()),
            ]
        ),
    },
    "activity_rates": {
        "key": ("activity", "valid_from"),
        "schema": pa.schema(
            [
                ("activity", pa.string()),
                ("driver_unit", pa.string()),
                ("rate_per_unit", MONEY),
                ("valid_from", pa.date32()),
                ("valid_to", pa.date32()),
            ]
        ),
    },
}

CHANNELS = ("field_sales", "phone", "web", "partner")
STATUSES = ("completed", "cancelled")
