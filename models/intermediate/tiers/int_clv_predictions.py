"""MBG/NBD, BG/NBD and Gamma-Gamma fitted on int_clv_purchase_history (maximum likelihood):
the predictions of tiering.clv_predictions, which a Spark build runs in its Arrow step
(orchestration/spark_clv.py) on the same summary."""

from tiering import clv_predictions


def model(dbt, session):
    dbt.config(materialized="table")
    history = dbt.ref("int_clv_purchase_history").to_arrow_table()
    min_customers = dbt.ref("tier_settings").filter("setting = 'clv_min_customers'").fetchall()[0][1]
    return clv_predictions.predictions(history, min_customers)
