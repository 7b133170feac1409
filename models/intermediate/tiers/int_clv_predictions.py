"""BG/NBD + Gamma-Gamma fitted on int_clv_purchase_history (maximum likelihood, see orchestration.clv).

Per customer: probability alive at D, expected purchases and revenue in the next 52 weeks.
With fewer customers than setting clv_min_customers, or if a fit does not converge, the
model falls back (model_status says why): purchases as in the last 52 weeks, alive when
the last purchase is inside the window, spend = the customer's own mean spend.
"""
import numpy as np
import pyarrow as pa

from orchestration import clv

HORIZON_WEEKS = 52.0


def _fallback(h, reason):
    recent = (h["t_age"] - h["t_x"]) * 7 < 365
    rate = np.where(h["t_age"] > 0, (h["x"] + 1) / np.maximum(h["t_age"], 1.0), 1.0)
    return {"p_alive": recent.astype(float), "expected_purchases_12m": np.where(recent, rate * HORIZON_WEEKS, 0.0),
            "expected_spend": np.nan_to_num(h["mean_spend"]), "model_status": reason, "params": [np.nan] * 7}


def _fit(h, min_customers):
    n = len(h["x"])
    if n < min_customers:
        return _fallback(h, f"fallback: {n} customers with purchase history, fewer than {min_customers:.0f}")
    try:
        bg = clv.fit_bgnbd(h["g_x"], h["g_t_x"], h["g_t_age"], h["g_w"])
        repeat = (h["x"] > 0) & (np.nan_to_num(h["mean_repeat_spend"]) > 0)
        gg = clv.fit_gamma_gamma(h["x"][repeat], h["mean_repeat_spend"][repeat])
    except ValueError as err:
        return _fallback(h, f"fallback: {err}")
    spend = clv.expected_spend(gg, h["x"], np.nan_to_num(h["mean_repeat_spend"])) if gg.q > 1 else np.nan_to_num(h["mean_spend"])
    return {"p_alive": clv.probability_alive(bg, h["x"], h["t_x"], h["t_age"]),
            "expected_purchases_12m": clv.expected_purchases(bg, HORIZON_WEEKS, h["x"], h["t_x"], h["t_age"]),
            "expected_spend": spend, "model_status": "fitted",
            "params": [bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.v]}


def model(dbt, session):
    dbt.config(materialized="table")
    history = dbt.ref("int_clv_purchase_history")
    h = history.order("customer_id").fetchnumpy()
    grouped = history.query("h", "select x as g_x, t_x as g_t_x, t_age as g_t_age, count(*)::double as g_w "
                                 "from h group by all order by all").fetchnumpy()
    h.update(grouped)
    min_customers = dbt.ref("tier_settings").filter("setting = 'clv_min_customers'").fetchall()[0][1]
    fit = _fit(h, min_customers)
    n = len(h["x"])
    names = ["bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gg_p", "gg_q", "gg_v"]
    columns = {
        "customer_id": pa.array(h["customer_id"], pa.string()),
        "p_alive": pa.array(fit["p_alive"], pa.float64()),
        "expected_purchases_12m": pa.array(fit["expected_purchases_12m"], pa.float64()),
        "expected_spend": pa.array(fit["expected_spend"], pa.float64()),
        "predicted_revenue_12m": pa.array(fit["expected_purchases_12m"] * fit["expected_spend"], pa.float64()),
        "model_status": pa.array([fit["model_status"]] * n, pa.string()),
    }
    columns.update({name: pa.array(np.full(n, value), pa.float64()) for name, value in zip(names, fit["params"])})
    return pa.table(columns)
