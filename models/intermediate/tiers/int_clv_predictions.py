"""MBG/NBD, BG/NBD and Gamma-Gamma fitted on int_clv_purchase_history (maximum likelihood, see tiering.clv).

Per customer: probability alive at D, expected purchases and revenue in the next 52 weeks,
from MBG/NBD (it lets a customer without a repeat purchase drop out; BG/NBD calls every such
customer alive); BG/NBD's figures are kept beside them. With fewer customers than setting
clv_min_customers, or if a fit does not converge, the model falls back (model_status says
why): purchases as in the last 52 weeks, alive when the last purchase is inside the window,
spend = the customer's own mean spend.
"""

import numpy as np
import pyarrow as pa

from tiering import clv

HORIZON_WEEKS = 52.0
PARAMS = [
    "mbgnbd_r",
    "mbgnbd_alpha",
    "mbgnbd_a",
    "mbgnbd_b",
    "bgnbd_r",
    "bgnbd_alpha",
    "bgnbd_a",
    "bgnbd_b",
    "gg_p",
    "gg_q",
    "gg_v",
]


def _fallback(h, reason):
    recent = (h["t_age"] - h["t_x"]) * 7 < 365
    rate = np.where(h["t_age"] > 0, (h["x"] + 1) / np.maximum(h["t_age"], 1.0), 1.0)
    purchases = np.where(recent, rate * HORIZON_WEEKS, 0.0)
    return {
        "p_alive": recent.astype(float),
        "expected_purchases_12m": purchases,
        "p_alive_bgnbd": recent.astype(float),
        "expected_purchases_12m_bgnbd": purchases,
        "expected_spend": np.nan_to_num(h["mean_spend"]),
        "model_status": reason,
        "params": [np.nan] * len(PARAMS),
    }


def _fit(h, min_customers):
    n = len(h["x"])
    if n < min_customers:
        return _fallback(h, f"fallback: {n} customers with purchase history, fewer than {min_customers:.0f}")
    try:
        mbg, bg = (
            clv.fit_bgnbd(h["g_x"], h["g_t_x"], h["g_t_age"], h["g_w"], model=m) for m in (clv.MbgNbd, clv.BgNbd)
        )
        repeat = (h["x"] > 0) & (np.nan_to_num(h["mean_repeat_spend"]) > 0)
        gg = clv.fit_gamma_gamma(h["x"][repeat], h["mean_repeat_spend"][repeat])
    except ValueError as err:
        return _fallback(h, f"fallback: {err}")
    spend = (
        clv.expected_spend(gg, h["x"], np.nan_to_num(h["mean_repeat_spend"]))
        if gg.q > 1
        else np.nan_to_num(h["mean_spend"])
    )
    summary = (h["x"], h["t_x"], h["t_age"])
    return {
        "p_alive": clv.probability_alive(mbg, *summary),
        "expected_purchases_12m": clv.expected_purchases(mbg, HORIZON_WEEKS, *summary),
        "p_alive_bgnbd": clv.probability_alive(bg, *summary),
        "expected_purchases_12m_bgnbd": clv.expected_purchases(bg, HORIZON_WEEKS, *summary),
        "expected_spend": spend,
        "model_status": "fitted",
        "params": [mbg.r, mbg.alpha, mbg.a, mbg.b, bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.v],
    }


def model(dbt, session):
    dbt.config(materialized="table")
    history = dbt.ref("int_clv_purchase_history")
    h = history.order("customer_id").fetchnumpy()
    grouped = history.query(
        "h", "select x as g_x, t_x as g_t_x, t_age as g_t_age, count(*)::double as g_w from h group by all order by all"
    ).fetchnumpy()
    h.update(grouped)
    min_customers = dbt.ref("tier_settings").filter("setting = 'clv_min_customers'").fetchall()[0][1]
    fit = _fit(h, min_customers)
    n = len(h["x"])
    floats = ["p_alive", "expected_purchases_12m", "expected_spend", "p_alive_bgnbd", "expected_purchases_12m_bgnbd"]
    columns = {"customer_id": pa.array(h["customer_id"], pa.string())}
    columns.update({name: pa.array(fit[name], pa.float64()) for name in floats})
    columns["predicted_revenue_12m"] = pa.array(fit["expected_purchases_12m"] * fit["expected_spend"], pa.float64())
    columns["model_status"] = pa.array([fit["model_status"]] * n, pa.string())
    columns.update({name: pa.array(np.full(n, value), pa.float64()) for name, value in zip(PARAMS, fit["params"])})
    return pa.table(columns)
