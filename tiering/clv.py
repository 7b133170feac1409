"""BG/NBD repeat purchases with Gamma-Gamma spend (Fader, Hardie & Lee 2005), by maximum likelihood.

MBG/NBD (Batislam, Denizel & Filiztekin 2007) is BG/NBD with a drop-out chance at time 0 as
well, so a customer without a repeat purchase can be inactive: every formula is BG/NBD's with
x + 1 in place of x in the beta-geometric part (the `shift` of the parameter class).

Fitted on per-customer summaries (x repeat purchases, t_x time of the last, T age, m mean
repeat spend), grouped with weights, with analytic gradients (one likelihood evaluation per
optimiser step), so a million customers cost a few seconds. No priors: plain maximum
likelihood, which reproduces the published CDNOW estimates.
"""

from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    shift: ClassVar[int] = 0  # drop-out chances before purchase x + 1: x (BG/NBD), x + 1 (MBG/NBD)


@dataclass(frozen=True)
class MbgNbd(BgNbd):
    shift: ClassVar[int] = 1


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float


class _Counts:
    """Repeat counts x with their weights. Terms that depend on x alone (the gamma and beta
    functions) are computed once per distinct count and summed with that count's weight."""

    def __init__(self, x, weights=None):
        self.x = np.asarray(x, dtype=float)
        self.w = np.ones(len(self.x)) if weights is None else np.asarray(weights, dtype=float)
        self.wx = self.w * self.x
        self.total = self.w.sum()
        self.values, self.index = np.unique(self.x, return_inverse=True)
        self.value_weights = np.bincount(self.index, weights=self.w, minlength=len(self.values))

    def per_row(self, fn) -> np.ndarray:
        return fn(self.values)[self.index]

    def total_of(self, fn) -> float:
        return self.value_weights @ fn(self.values)


def _bgnbd(params: BgNbd, counts: _Counts, t_x, T):
    """Weighted log-likelihood and its gradient in (r, alpha, a, b). Per customer the likelihood
    is A1 A2 (exp(a3) + exp(a4)): alive at T, or dropped out right after the last purchase
    (possible when x + shift > 0); u = a4 - a3."""
    r, alpha, a, b, k = params.r, params.alpha, params.a, params.b, params.shift
    x, w, total = counts.x, counts.w, counts.total
    log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    inv_b = counts.per_row(lambda v: np.where(v + k > 0, 1.0 / np.maximum(b + v + k - 1, 1e-300), 0.0))
    with np.errstate(divide="ignore"):
        u = np.log(a) + np.log(inv_b) + (r + x) * (log_at - log_atx)
    ww4 = w * expit(u)  # weight times the share of the "dropped out" term
    ll = (
        counts.total_of(lambda v: gammaln(r + v) + betaln(a, b + v + k))
        + total * (r * np.log(alpha) - gammaln(r) - betaln(a, b))
        + w @ (np.logaddexp(0.0, u) - (r + x) * log_at)
    )
    inv_at, inv_atx = 1.0 / (alpha + T), 1.0 / (alpha + t_x)
    psi_abx = counts.total_of(lambda v: digamma(a + b + v + k))
    gradient = np.array(
        [
            counts.total_of(lambda v: digamma(r + v))
            + total * (np.log(alpha) - digamma(r))
            - w @ log_at
            + ww4 @ (log_at - log_atx),
            total * r / alpha - (w * (r + x)) @ inv_at - (ww4 * (r + x)) @ (inv_atx - inv_at),
            total * digamma(a + b) - psi_abx + ww4.sum() / a,
            counts.total_of(lambda v: digamma(b + v + k))
            - psi_abx
            + total * (digamma(a + b) - digamma(b))
            - ww4 @ inv_b,
        ]
    )
    return ll, gradient


def _bgnbd_data(x, t_x, T, weights=None):
    return _Counts(x, weights), np.asarray(t_x, dtype=float), np.asarray(T, dtype=float)


def bgnbd_log_likelihood(params: BgNbd, x, t_x, T, weights=None) -> float:
    """The (weighted) sum over customers of the log-likelihood."""
    return _bgnbd(params, *_bgnbd_data(x, t_x, T, weights))[0]


def bgnbd_log_likelihood_gradient(params: BgNbd, x, t_x, T, weights=None) -> np.ndarray:
    """d bgnbd_log_likelihood / d (r, alpha, a, b)."""
    return _bgnbd(params, *_bgnbd_data(x, t_x, T, weights))[1]


def _gamma_gamma(params: GammaGamma, counts: _Counts, xm, log_m_sums):
    """Weighted log-likelihood and its gradient in (p, q, v). xm = x m per customer; log_m_sums =
    the weighted sums of log m and of x log m, which do not depend on the parameters."""
    p, q, v = params.p, params.q, params.v
    w, total = counts.w, counts.total
    sum_log_m, sum_x_log_m = log_m_sums
    log_xmv, inv_xmv = np.log(xm + v), 1.0 / (xm + v)
    sum_log, sum_x_log = w @ log_xmv, counts.wx @ log_xmv
    ll = (
        counts.total_of(lambda c: gammaln(p * c + q) - gammaln(p * c) + p * c * np.log(c))
        + total * (q * np.log(v) - gammaln(q))
        + p * sum_x_log_m
        - sum_log_m
        - p * sum_x_log
        - q * sum_log
    )
    gradient = np.array(
        [
            counts.total_of(lambda c: c * (digamma(p * c + q) - digamma(p * c) + np.log(c))) + sum_x_log_m - sum_x_log,
            counts.total_of(lambda c: digamma(p * c + q)) + total * (np.log(v) - digamma(q)) - sum_log,
            total * q / v - p * (counts.wx @ inv_xmv) - q * (w @ inv_xmv),
        ]
    )
    return ll, gradient


def _gamma_gamma_data(x, m, weights=None):
    counts, m = _Counts(x, weights), np.asarray(m, dtype=float)
    log_m = np.log(m)
    return counts, counts.x * m, (counts.w @ log_m, counts.wx @ log_m)


def gamma_gamma_log_likelihood(params: GammaGamma, x, m, weights=None) -> float:
    """The (weighted) sum over customers of the log-likelihood."""
    return _gamma_gamma(params, *_gamma_gamma_data(x, m, weights))[0]


def gamma_gamma_log_likelihood_gradient(params: GammaGamma, x, m, weights=None) -> np.ndarray:
    """d gamma_gamma_log_likelihood / d (p, q, v)."""
    return _gamma_gamma(params, *_gamma_gamma_data(x, m, weights))[1]


def _fit(model, cls, data) -> np.ndarray:
    """Maximum likelihood over log-parameters (mean weighted negative log-likelihood)."""
    n_params = len(fields(cls))
    scale = data[0].total

    def objective(log_params):
        ll, gradient = model(cls(*np.exp(log_params)), *data)
        return -ll / scale, -gradient / scale * np.exp(log_params)

    res = minimize(objective, np.zeros(n_params), jac=True, method="L-BFGS-B", bounds=[(-10, 10)] * n_params)
    if not res.success or not np.all(np.isfinite(res.x)):
        raise ValueError(f"maximum likelihood did not converge: {res.message}")
    return np.exp(res.x)


def fit_bgnbd(x, t_x, T, weights=None, model: type[BgNbd] = BgNbd) -> BgNbd:
    """BG/NBD, or MBG/NBD with model=MbgNbd."""
    return model(*_fit(_bgnbd, model, _bgnbd_data(x, t_x, T, weights)))


def fit_gamma_gamma(x, m, weights=None) -> GammaGamma:
    """Fit on customers with at least one repeat purchase and a positive mean spend."""
    return GammaGamma(*_fit(_gamma_gamma, GammaGamma, _gamma_gamma_data(x, m, weights)))


def probability_alive(params: BgNbd, x, t_x, T) -> np.ndarray:
    r, alpha, a, b, k = params.r, params.alpha, params.a, params.b, params.shift
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            x + k > 0,
            a / np.maximum(b + x + k - 1, 1e-300) * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x))),
            0.0,
        )
    return 1.0 / (1.0 + odds)


def expected_purchases(params: BgNbd, t: float, x, t_x, T) -> np.ndarray:
    """Expected purchases in the next t time units, given each customer's history."""
    r, alpha, a, b, k = params.r, params.alpha, params.a, params.b, params.shift
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x + k, a + b + x + k - 1, z)
    numerator = (
        (a + b + x + k - 1) / (a - 1) * (1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp)
    )
    return numerator * probability_alive(params, x, t_x, T)


def expected_spend(params: GammaGamma, x, m) -> np.ndarray:
    """Expected mean spend per purchase; customers without repeat spend get the population mean."""
    p, q, v = params.p, params.q, params.v
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    population = p * v / (q - 1)
    known = (x > 0) & (m > 0)
    return np.where(known, p * (v + x * np.where(known, m, 0)) / (p * x + q - 1), population)
