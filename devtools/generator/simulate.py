"""Vectorised simulation of one chunk of customers and everything they cause.

All arrays are numpy; money is integer cents until it is written. Nothing loops per row.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np

from tiering.contract import TABLES

EPOCH = date(1970, 1, 1)
SEGMENTS = np.array(["enterprise", "smb", "consumer"])
SEGMENT_P = np.array([0.04, 0.30, 0.66])
REGIONS = np.array(["north", "south", "east", "west", "central"])
INDUSTRIES = np.array(["retail", "manufacturing", "services", "wholesale", "construction"])
REVENUE_PER_EMPLOYEE_CENTS = 15_000_000  # a business customer's own yearly revenue per employee
# the contract's channels, each with its share per segment (enterprise, smb, consumer)
CHANNEL_MIX = {
    "field_sales": (0.60, 0.10, 0.00),
    "phone": (0.20, 0.40, 0.15),
    "web": (0.00, 0.40, 0.85),
    "partner": (0.20, 0.10, 0.00),
}
CHANNELS = np.array(TABLES["orders"].column("channel").rules["accepted_values"])
CHANNEL_P = np.array([[CHANNEL_MIX[c][segment] for c in CHANNELS] for segment in range(len(SEGMENTS))])
KIND_P = np.array([0.78, 0.10, 0.12])  # active, lapsed, prospect
ACTIVE, LAPSED, PROSPECT = 0, 1, 2

# activity: (driver unit, rate before the change, rate after, in cents)
ACTIVITIES = {
    "delivery": ("delivery", 2500, 2750),
    "onsite_support_hour": ("hour", 9500, 10500),
    "returns_handling": ("return", 1250, 1250),
    "sales_visit": ("visit", 15000, 16500),
    "support_call_minute": ("minute", 120, 135),
}
# per segment yearly rates of service events (lognormal medians) and spread
CALLS_PER_YEAR = np.array([8.0, 5.0, 3.0])
VISITS_PER_YEAR = np.array([14.0, 2.0, 0.02])
ONSITE_PER_YEAR = np.array([5.0, 0.6, 0.02])
ORDERS_PER_YEAR = np.array([18.0, 9.0, 4.5])
SIZE_LOG_MEAN = np.array([2.6, 1.2, 0.0])


@dataclass(frozen=True)
class Calendar:
    end_day: int  # days since epoch of the last simulated day
    history_days: int

    @classmethod
    def ending(cls, end: date, history_days: int) -> "Calendar":
        return cls((end - EPOCH).days, history_days)

    @property
    def start_day(self) -> int:
        return self.end_day - self.history_days

    @property
    def window_start(self) -> int:  # first day inside the 365-day window
        return self.end_day - 364

    @property
    def rate_change_day(self) -> int:
        return self.end_day - 150


def make_products(rng: np.random.Generator, n: int = 400) -> dict[str, np.ndarray]:
    price = np.maximum(100, np.round(np.exp(rng.normal(3.3, 0.8, n)) * 100)).astype(np.int64)
    cost = np.round(price * rng.uniform(0.55, 0.80, n)).astype(np.int64)
    return {"price": price, "cost": cost}


def _pick(rng, probs_by_row: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Categorical draw per element, with a probability row chosen per element."""
    cum = np.cumsum(probs_by_row, axis=1)[rows]
    return (rng.random(len(rows))[:, None] > cum).sum(axis=1).clip(0, probs_by_row.shape[1] - 1)


def _uniform_days(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def simulate_customers(rng, cal: Calendar, n: int) -> dict[str, np.ndarray]:
    kind = rng.choice(3, n, p=KIND_P)
    seg = rng.choice(3, n, p=SEGMENT_P)
    created = np.where(
        kind == PROSPECT,
        cal.end_day - rng.integers(0, 540, n),
        np.where(
            kind == LAPSED,
            cal.start_day - rng.integers(0, 400, n),
            cal.end_day - rng.integers(30, cal.history_days + 400, n),
        ),
    )
    # the period in which a customer may order
    buy_from = np.maximum(created, cal.start_day)
    buy_to = np.where(kind == LAPSED, cal.window_start - 31, cal.end_day)
    return {
        "kind": kind,
        "segment": seg,
        "created": created.astype(np.int64),
        "region": rng.integers(0, len(REGIONS), n),
        "size": np.exp(rng.normal(SIZE_LOG_MEAN[seg], 0.9)),
        "order_rate": rng.gamma(1.0, ORDERS_PER_YEAR[seg]),
        "buy_from": buy_from,
        "buy_to": buy_to,
        "payer": rng.choice(3, n, p=[0.70, 0.25, 0.05]),  # good, late, chronic
        "service": np.exp(rng.normal(0.0, 1.0, n)),  # how demanding, loosely tied to size
    }


def simulate_orders(rng, cal: Calendar, cust: dict) -> dict[str, np.ndarray]:
    years = np.maximum(cust["buy_to"] - cust["buy_from"] + 1, 0) / 365.0
    n_orders = rng.poisson(cust["order_rate"] * years)
    n_orders = np.where(cust["kind"] == PROSPECT, 0, np.maximum(n_orders, 1))
    owner = np.repeat(np.arange(len(n_orders)), n_orders)
    day = _uniform_days(rng, cust["buy_from"][owner], cust["buy_to"][owner])
    return {
        "customer": owner,
        "day": day,
        "second": rng.integers(8 * 3600, 20 * 3600, len(owner)),
        "channel": _pick(rng, CHANNEL_P, cust["segment"][owner]),
        "cancelled": rng.random(len(owner)) < 0.05,
    }


def simulate_lines(rng, cust: dict, orders: dict, products: dict) -> dict[str, np.ndarray]:
    n_lines = 1 + rng.poisson(2.9, len(orders["day"]))
    order = np.repeat(np.arange(len(n_lines)), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_number = np.arange(len(order)) - starts[order] + 1
    product = rng.integers(0, len(products["price"]), len(order))
    price = np.maximum(1, np.round(products["price"][product] * rng.normal(1.0, 0.03, len(order)))).astype(np.int64)
    size = cust["size"][orders["customer"][order]]
    qty = np.maximum(1, np.round(np.exp(rng.normal(np.log(size), 0.6)))).astype(np.int64)
    is_return = rng.random(len(order)) < 0.03
    qty = np.where(is_return, -qty, qty)
    discounted = (rng.random(len(order)) < 0.25) & ~is_return
    discount = np.where(discounted, np.round(qty * price * rng.uniform(0, 0.15, len(order))), 0).astype(np.int64)
    return {
        "order": order,
        "line_number": line_number,
        "product": product,
        "quantity": qty,
        "price": price,
        "discount": discount,
        "cost": products["cost"][product],
        "n_lines": n_lines,
        "is_return": is_return,
    }


def _events(rng, owner: np.ndarray, day: np.ndarray, activity: str, qty_cents: np.ndarray) -> dict:
    return {
        "customer": owner,
        "day": day,
        "activity": np.full(len(owner), activity, dtype=object),
        "quantity": qty_cents,
    }


def _periodic_events(rng, cal: Calendar, cust: dict, per_year: np.ndarray, activity: str, qty_fn) -> dict:
    frm = np.maximum(cust["created"], cal.start_day)
    years = (cal.end_day - frm + 1) / 365.0
    n = rng.poisson(per_year * years)
    owner = np.repeat(np.arange(len(n)), n)
    day = _uniform_days(rng, frm[owner], np.full(len(owner), cal.end_day))
    return _events(rng, owner, day, activity, qty_fn(len(owner)))


def simulate_events(rng, cal: Calendar, cust: dict, orders: dict, lines: dict) -> dict[str, np.ndarray]:
    seg, service = cust["segment"], cust["service"]
    prospect_boost = np.where(cust["kind"] == PROSPECT, 2.0, 0.0)  # prospects get courted
    done = ~orders["cancelled"]
    parts = [
        _events(
            rng,
            orders["customer"][done],
            np.minimum(orders["day"][done] + rng.integers(0, 3, done.sum()), cal.end_day),
            "delivery",
            np.full(done.sum(), 100),
        ),
        _periodic_events(
            rng,
            cal,
            cust,
            CALLS_PER_YEAR[seg] * service,
            "support_call_minute",
            lambda k: np.maximum(50, np.round(np.exp(rng.normal(np.log(8.0), 0.7, k)) * 100)).astype(np.int64),
        ),
        _periodic_events(
            rng,
            cal,
            cust,
            VISITS_PER_YEAR[seg] * service**1.3 + prospect_boost,
            "sales_visit",
            lambda k: np.full(k, 100),
        ),
        _periodic_events(
            rng,
            cal,
            cust,
            ONSITE_PER_YEAR[seg] * service**1.5,
            "onsite_support_hour",
            lambda k: rng.integers(1, 13, k) * 50,
        ),
    ]
    ret = lines["is_return"] & done[lines["order"]]
    ret_order = lines["order"][ret]
    parts.append(
        _events(
            rng,
            orders["customer"][ret_order],
            np.minimum(orders["day"][ret_order] + 7, cal.end_day),
            "returns_handling",
            np.full(len(ret_order), 100),
        )
    )
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    out["second"] = rng.integers(7 * 3600, 19 * 3600, len(out["day"]))
    return out


def simulate_invoices(rng, cal: Calendar, cust: dict, orders: dict, lines: dict) -> dict[str, np.ndarray]:
    line_net = lines["quantity"] * lines["price"] - lines["discount"]
    starts = np.cumsum(lines["n_lines"]) - lines["n_lines"]
    order_net = np.add.reduceat(line_net, starts) if len(starts) else np.zeros(0, np.int64)
    billable = ~orders["cancelled"] & (order_net > 0)
    idx = np.flatnonzero(billable)
    owner = orders["customer"][idx]
    inv_day = orders["day"][idx]
    due = inv_day + 30
    payer = cust["payer"][owner]
    late = rng.random(len(idx)) < np.array([0.05, 0.5, 0.9])[payer]
    late_days = 1 + np.floor(rng.exponential(np.array([5.0, 20.0, 60.0])[payer])).astype(np.int64)
    paid = np.where(late, due + late_days, np.maximum(inv_day, due - rng.integers(0, 25, len(idx))))
    unpaid = paid > cal.end_day
    written_off = unpaid & (payer == 2) & (due < cal.end_day - 120) & (rng.random(len(idx)) < 0.6)
    return {
        "order": idx,
        "customer": owner,
        "day": inv_day,
        "due": due,
        "amount": order_net[idx],
        "paid": np.where(unpaid, -1, paid),
        "written_off": written_off,
    }
