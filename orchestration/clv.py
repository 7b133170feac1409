"""BG/NBD repeat purchases with Gamma-Gamma spend (Fader, Hardie & Lee 2005), by maximum likelihood.

Fitted on per-customer summaries (x repeat purchases, t_x time of the last, T age, m mean
repeat spend), grouped with weights, so a million customers cost a few seconds. No priors:
plain maximum likelihood, which reproduces the published CDNOW estimates.
"""
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float


def bgnbd_log_likelihood(params: BgNbd, x, t_x, T) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def _fit(neg_ll, n_params: int):
    res = minimize(neg_ll, np.zeros(n_params), method="L-BFGS-B", bounds=[(-10, 10)] * n_params)
    if not res.success or not np.all(np.isfinite(res.x)):
        raise ValueError(f"maximum likelihood did not converge: {res.message}")
    return np.exp(res.x)


def fit_bgnbd(x, t_x, T, weights=None) -> BgNbd:
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    scale = w.sum()
    return BgNbd(*_fit(lambda lp: -(w * bgnbd_log_likelihood(BgNbd(*np.exp(lp)), x, t_x, T)).sum() / scale, 4))


def gamma_gamma_log_likelihood(params: GammaGamma, x, m) -> np.ndarray:
    p, q, v = params.p, params.q, params.v
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


def fit_gamma_gamma(x, m, weights=None) -> GammaGamma:
    """Fit on customers with at least one repeat purchase and a positive mean spend."""
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    scale = w.sum()
    return GammaGamma(*_fit(lambda lp: -(w * gamma_gamma_log_likelihood(GammaGamma(*np.exp(lp)), x, m)).sum() / scale, 3))


def probability_alive(params: BgNbd, x, t_x, T) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x))), 0.0)
    return 1.0 / (1.0 + odds)


def expected_purchases(params: BgNbd, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next t time units, given each customer's history."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp)
    return numerator * probability_alive(params, x, t_x, T)


def expected_spend(params: GammaGamma, x, m) -> np.ndarray:
    """Expected mean spend per purchase; customers without repeat spend get the population mean."""
    p, q, v = params.p, params.q, params.v
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    population = p * v / (q - 1)
    known = (x > 0) & (m > 0)
    return np.where(known, p * (v + x * np.where(known, m, 0)) / (p * x + q - 1), population)
