"""BG/NBD, MBG/NBD and Gamma-Gamma maximum likelihood against the published CDNOW estimates."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy.special import beta, gamma

from tiering import clv
from tiering.clv_predictions import grouped_summary

pytestmark = pytest.mark.fast  # the quick tier: make test-fast

CDNOW = Path(__file__).parent / "fixtures" / "cdnow_customers_summary.csv"  # from the lifetimes package


@pytest.fixture(scope="module")
def cdnow():
    data = np.genfromtxt(CDNOW, delimiter=",", names=True)
    assert len(data) == 2357
    return data


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow):
    fit = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    for got, published in ((fit.r, 0.243), (fit.alpha, 4.414), (fit.a, 0.793), (fit.b, 2.426)):
        assert got == pytest.approx(published, rel=0.01)


def mbgnbd_likelihood(r, alpha, a, b, x, t_x, T):
    """Batislam, Denizel & Filiztekin (2007) eq. 3, written out as a product (not the code's log form)."""
    return (
        gamma(r + x)
        * alpha**r
        / gamma(r)
        * beta(a, b + x + 1)
        / beta(a, b)
        * ((alpha + T) ** -(r + x) + a / (b + x) * (alpha + t_x) ** -(r + x))
    )


def test_mbgnbd_reproduces_the_library_fit(cdnow):
    """Reference: r 0.525, alpha 6.183, a 0.891, b 1.614, the CDNOW MBG/NBD estimates the `lifetimes`
    test suite asserts for ModifiedBetaGeoFitter (quoted there from the R package BTYDplus; recalled,
    not re-fetched). Checked independently: the paper's likelihood, written out here, has a zero
    gradient at the fitted optimum and is not higher at the rounded reference values."""
    fit = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], model=clv.MbgNbd)
    for got, reference in ((fit.r, 0.525), (fit.alpha, 6.183), (fit.a, 0.891), (fit.b, 1.614)):
        assert got == pytest.approx(reference, rel=0.01)
    data = (cdnow["x"], cdnow["t_x"], cdnow["T"])
    optimum = [fit.r, fit.alpha, fit.a, fit.b]

    def log_likelihood(params):
        return np.log(mbgnbd_likelihood(*params, *data)).sum()

    assert log_likelihood(optimum) == pytest.approx(clv.bgnbd_log_likelihood(fit, *data), rel=1e-12)
    assert log_likelihood(optimum) >= log_likelihood([0.525, 6.183, 0.891, 1.614])
    for i, value in enumerate(optimum):
        h = 1e-5 * value
        up, down = list(optimum), list(optimum)
        up[i] += h
        down[i] -= h
        assert abs(log_likelihood(up) - log_likelihood(down)) / (2 * h) < 0.05, i


def bgnbd_likelihood(r, alpha, a, b, x, t_x, T):
    """Fader, Hardie & Lee (2005) eq. 6, written out as a product."""
    common = gamma(r + x) * alpha**r / gamma(r)
    dropped = np.where(x > 0, beta(a + 1, b + x - 1) / beta(a, b) * (alpha + t_x) ** -(r + x), 0.0)
    return common * (beta(a, b + x) / beta(a, b) * (alpha + T) ** -(r + x) + dropped)


def gamma_gamma_likelihood(p, q, v, x, m):
    """Fader, Hardie & Lee (2005), the Gamma-Gamma density of a mean spend m over x purchases."""
    return (
        gamma(p * x + q)
        / (gamma(p * x) * gamma(q))
        * v**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / (v + m * x) ** (p * x + q)
    )


def test_log_likelihoods_equal_the_written_out_ones(cdnow):
    x, t_x, T, m = cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"]
    params = (0.3, 4.0, 0.8, 2.5)
    expected = np.log(bgnbd_likelihood(*params, x, t_x, T)).sum()
    assert clv.bgnbd_log_likelihood(clv.BgNbd(*params), x, t_x, T) == pytest.approx(expected, rel=1e-12)
    expected = np.log(mbgnbd_likelihood(*params, x, t_x, T)).sum()
    assert clv.bgnbd_log_likelihood(clv.MbgNbd(*params), x, t_x, T) == pytest.approx(expected, rel=1e-12)
    repeat = (x > 0) & (x < 5)  # the written-out powers overflow beyond
    expected = np.log(gamma_gamma_likelihood(6.0, 3.5, 15.0, x[repeat], m[repeat])).sum()
    got = clv.gamma_gamma_log_likelihood(clv.GammaGamma(6.0, 3.5, 15.0), x[repeat], m[repeat])
    assert got == pytest.approx(expected, rel=1e-10)


def test_a_weight_counts_as_that_many_customers(cdnow):
    x, t_x, T, m = (cdnow[c][:50] for c in ("x", "t_x", "T", "zbar"))
    weights = np.arange(50) % 4  # 0 to 3 copies of each customer
    copies = np.repeat(np.arange(50), weights)
    params = clv.MbgNbd(0.3, 4.0, 0.8, 2.5)
    for f in (clv.bgnbd_log_likelihood, clv.bgnbd_log_likelihood_gradient):
        np.testing.assert_allclose(
            f(params, x, t_x, T, weights), f(params, x[copies], t_x[copies], T[copies]), rtol=1e-12
        )
    repeat = x > 0
    params = clv.GammaGamma(6.0, 3.5, 15.0)
    for f in (clv.gamma_gamma_log_likelihood, clv.gamma_gamma_log_likelihood_gradient):
        got = f(params, x[repeat], m[repeat], weights[repeat])
        np.testing.assert_allclose(got, f(params, x[copies][repeat[copies]], m[copies][repeat[copies]]), rtol=1e-12)


def test_mbgnbd_lets_one_time_buyers_drop_out():
    params = clv.MbgNbd(0.525, 6.183, 0.891, 1.614)
    x, t_x, T = np.array([0, 0, 2]), np.array([0.0, 0.0, 30.0]), np.array([10.0, 38.86, 38.86])
    alive = clv.probability_alive(params, x, t_x, T)
    odds = 0.891 / 1.614 * ((6.183 + 38.86) / 6.183) ** 0.525  # eq. 4 of the paper for x = 0
    assert alive[1] == pytest.approx(1 / (1 + odds)) and alive[1] < alive[0] < 1 and alive[1] < 0.5
    assert clv.probability_alive(clv.BgNbd(0.525, 6.183, 0.891, 1.614), x, t_x, T)[1] == 1.0
    year = clv.expected_purchases(params, 52, x, t_x, T)
    assert np.all(year > 0) and year[2] > year[0] > year[1]


def test_fit_on_grouped_summaries_equals_fit_on_customers(cdnow):
    keys, counts = np.unique(np.stack([cdnow["x"], cdnow["t_x"], cdnow["T"]], axis=1), axis=0, return_counts=True)
    grouped = clv.fit_bgnbd(keys[:, 0], keys[:, 1], keys[:, 2], counts)
    plain = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(grouped, name) == pytest.approx(getattr(plain, name), rel=1e-4), name


def test_gamma_gamma_reproduces_published_spend_model(cdnow):
    repeat = cdnow["x"] > 0
    fit = clv.fit_gamma_gamma(cdnow["x"][repeat], cdnow["zbar"][repeat])
    for got, published in ((fit.p, 6.25), (fit.q, 3.74), (fit.v, 15.44)):
        assert got == pytest.approx(published, rel=0.01)


def test_predictions_behave():
    params = clv.BgNbd(0.243, 4.414, 0.793, 2.426)
    x, t_x, T = np.array([0, 2, 2, 10]), np.array([0, 30.0, 5.0, 38.0]), np.array([38.86] * 4)
    alive = clv.probability_alive(params, x, t_x, T)
    assert alive[0] == 1.0 and alive[1] > alive[2] and np.all((alive > 0) & (alive <= 1))
    week, year = clv.expected_purchases(params, 1, x, t_x, T), clv.expected_purchases(params, 52, x, t_x, T)
    assert np.all(year > week) and year[3] > year[1] > year[2]
    spend = clv.expected_spend(clv.GammaGamma(6.25, 3.74, 15.44), np.array([0, 5]), np.array([0.0, 40.0]))
    assert spend[0] == pytest.approx(6.25 * 15.44 / 2.74) and 15.44 * 6.25 / 2.74 < spend[1] < 40


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "gamma_gamma"])
def test_analytic_gradients_match_finite_differences(cdnow, model):
    repeat = cdnow["x"] > 0
    if model != "gamma_gamma":
        cls = clv.BgNbd if model == "bgnbd" else clv.MbgNbd
        params, data = [0.3, 4.0, 0.8, 2.5], (cdnow["x"], cdnow["t_x"], cdnow["T"])
        ll, grad = clv.bgnbd_log_likelihood, clv.bgnbd_log_likelihood_gradient
    else:
        cls, params, data = clv.GammaGamma, [6.0, 3.5, 15.0], (cdnow["x"][repeat], cdnow["zbar"][repeat])
        ll, grad = clv.gamma_gamma_log_likelihood, clv.gamma_gamma_log_likelihood_gradient
    analytic = grad(cls(*params), *data)
    for i in range(len(params)):
        h = 1e-6 * params[i]
        up, down = list(params), list(params)
        up[i] += h
        down[i] -= h
        numeric = (ll(cls(*up), *data) - ll(cls(*down), *data)) / (2 * h)
        assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (model, i)


def test_grouped_summary_counts_each_distinct_summary_once(cdnow):
    summary = {"x": cdnow["x"].astype(np.int32), "t_x": cdnow["t_x"], "t_age": cdnow["T"]}
    x, t_x, t_age, weights = grouped_summary(summary)
    expected = sorted(Counter(zip(summary["x"].tolist(), summary["t_x"].tolist(), summary["t_age"].tolist())).items())
    assert list(zip(zip(x.tolist(), t_x.tolist(), t_age.tolist()), weights.tolist())) == expected
    assert weights.sum() == len(cdnow) > len(weights)  # the fixture repeats summaries
