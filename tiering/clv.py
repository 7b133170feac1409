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
from scipy.special import betaln, digamma, gammaln, hyp2f1


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
    """Repeat counts x, with each distinct count's position: terms that depend on x alone (the
    gamma and beta functions) are computed once per distinct count, not once per customer."""

    def __init__(self, x):
        self.x = np.asarray(x, dtype=float)
        self.values, self.index = np.unique(self.x, return_inverse=True)

    def apply(self, fn) -> np.ndarray:
        return fn(self.values)[self.index]


def _bgnbd(params: BgNbd, counts: _Counts, t_x, T):
    """Per customer: log-likelihood and its gradient in (r, alpha, a, b)."""
    r, alpha, a, b, k = params.r, params.alpha, params.a, params.b, params.shift
    x = counts.x
    log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    a12 = counts.apply(lambda v: gammaln(r + v) + betaln(a, b + v + k)) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    a3 = -(r + x) * log_at
    dropped = x + k > 0  # "dropped out right after the last purchase" is possible
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_b = np.where(dropped, 1.0 / np.maximum(b + x + k - 1, 1e-300), 0.0)
        a4 = np.where(dropped, np.log(a) + np.log(inv_b) - (r + x) * log_atx, -np.inf)
    ll = a12 + np.logaddexp(a3, a4)
    w4 = np.exp(a4 - np.logaddexp(a3, a4))  # share of the "dropped out after the last purchase" term
    w3 = 1.0 - w4
    psi_abx = counts.apply(lambda v: digamma(a + b + v + k))
    gradient = np.stack(
        [
            counts.apply(lambda v: digamma(r + v)) - digamma(r) + np.log(alpha) - w3 * log_at - w4 * log_atx,
            r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x)),
            digamma(a + b) - psi_abx + w4 / a,
            counts.apply(lambda v: digamma(b + v + k)) - psi_abx - digamma(b) + digamma(a + b) - w4 * inv_b,
        ],
        axis=1,
    )
    return ll, gradient


def bgnbd_log_likelihood(params: BgNbd, x, t_x, T) -> np.ndarray:
    return _bgnbd(params, _Counts(x), np.asarray(t_x, dtype=float), np.asarray(T, dtype=float))[0]


def bgnbd_log_likelihood_gradient(params: BgNbd, x, t_x, T) -> np.ndarray:
    """d log-likelihood / d (r, alpha, a, b), one row per customer."""
    return _bgnbd(params, _Counts(x), np.asarray(t_x, dtype=float), np.asarray(T, dtype=float))[1]


def _gamma_gamma(params: GammaGamma, counts: _Counts, m):
    """Per customer: log-likelihood and its gradient in (p, q, v)."""
    p, q, v = params.p, params.q, params.v
    x = counts.x
    log_xmv = np.log(x * m + v)
    ll = (
        counts.apply(lambda c: gammaln(p * c + q) - gammaln(p * c) + p * c * np.log(c))
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        - (p * x + q) * log_xmv
    )
    psi = counts.apply(lambda c: digamma(p * c + q))
    gradient = np.stack(
        [
            x * (psi - counts.apply(lambda c: digamma(p * c) - np.log(c)) + np.log(m) - log_xmv),
            psi - digamma(q) + np.log(v) - log_xmv,
            q / v - (p * x + q) / (x * m + v),
        ],
        axis=1,
    )
    return ll, gradient


def gamma_gamma_log_likelihood(params: GammaGamma, x, m) -> np.ndarray:
    return _gamma_gamma(params, _Counts(x), np.asarray(m, dtype=float))[0]


def gamma_gamma_log_likelihood_gradient(params: GammaGamma, x, m) -> np.ndarray:
    """d log-likelihood / d (p, q, v), one row per customer."""
    return _gamma_gamma(params, _Counts(x), np.asarray(m, dtype=float))[1]


def _fit(model, cls, weights, data) -> np.ndarray:
    """Maximum likelihood over log-parameters (mean weighted negative log-likelihood)."""
    n_params = len(fields(cls))
    w = np.ones(len(data[0].x)) if weights is None else np.asarray(weights, dtype=float)
    scale = w.sum()

    def objective(log_params):
        ll, gradient = model(cls(*np.exp(log_params)), *data)
        return -(w @ ll) / scale, -(w @ gradient) / scale * np.exp(log_params)

    res = minimize(objective, np.zeros(n_params), jac=True, method="L-BFGS-B", bounds=[(-10, 10)] * n_params)
    if not res.success or not np.all(np.isfinite(res.x)):
        raise ValueError(f"maximum likelihood did not converge: {res.message}")
    return np.exp(res.x)


def fit_bgnbd(x, t_x, T, weights=None, model: type[BgNbd] = BgNbd) -> BgNbd:
    """BG/NBD, or MBG/NBD with model=MbgNbd."""
    data = (_Counts(x), np.asarray(t_x, dtype=float), np.asarray(T, dtype=float))
    return model(*_fit(_bgnbd, model, weights, data))


def fit_gamma_gamma(x, m, weights=None) -> GammaGamma:
    """Fit on customers with at least one repeat purchase and a positive mean spend."""
    return GammaGamma(*_fit(_gamma_gamma, GammaGamma, weights, (_Counts(x), np.asarray(m, dtype=float))))


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
