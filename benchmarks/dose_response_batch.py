"""Batched LL.4 fitting vs a scipy.optimize.curve_fit loop (not a test).

Fits N noisy 4PL curves (10 doses x 3 replicates, planted parameters, fixed seed) with
p53lab's batched fitter (``fit_batch``: estimates, drc-style SEs and ED10/50/90 with delta-method
CIs, as arrays) and with one curve_fit call per curve (estimates only); prints both timings, the
speed-up and the accuracy (median |log(e_hat/e_true)|) of both. It also times turning the batch
into one result object per curve (``fit_arrays``), which a screen does not need.

    python benchmarks/dose_response_batch.py [--n 10000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import curve_fit

from p53lab.assays import dose_response as dr


def ll4(x, b, c, d, e):
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return c + (d - c) / (1 + np.exp(b * (np.log(x) - np.log(np.abs(e)))))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20240501)
    n = ap.parse_args().n
    rng = np.random.default_rng(ap.parse_args().seed)
    x = np.repeat(np.geomspace(0.001, 10, 10), 3)
    b = rng.uniform(0.7, 3, n)
    c, d = rng.uniform(0, 20, n), rng.uniform(80, 100, n)
    e = np.exp(rng.uniform(np.log(0.01), np.log(1), n))
    y = c[:, None] + (d - c)[:, None] / (1 + np.exp(b[:, None] * np.log(x / e[:, None])))
    y += rng.normal(0, 5, y.shape)

    xs = np.tile(x, (n, 1))
    dr.fit_batch(xs[:10], y[:10], "ll4")  # imports and first-call set-up out of the timing
    runs = []
    for _ in range(5):  # the first call also maps fresh memory; report it and the median
        t0 = time.perf_counter()
        batch = dr.fit_batch(xs, y, "ll4")
        runs.append(time.perf_counter() - t0)
    t_first, t_ours = runs[0], float(np.median(runs))
    e_ours = batch.parameters[:, batch.free.index("e")]
    n_ok = int((batch.status == "ok").sum())
    t0 = time.perf_counter()
    dr.fit_arrays(xs, y, "ll4")
    t_objects = time.perf_counter() - t0

    t0 = time.perf_counter()
    e_cf = np.full(n, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            p0 = (1.0, y[i].min(), y[i].max(), float(np.median(x)))
            try:
                p, _ = curve_fit(ll4, x, y[i], p0=p0, maxfev=5000)
                e_cf[i] = abs(p[3])
            except RuntimeError:
                pass
    t_cf = time.perf_counter() - t0

    def acc(est):
        err = np.abs(np.log(est / e))
        return np.nanmedian(err), np.mean(~np.isfinite(err))

    (m_ours, f_ours), (m_cf, f_cf) = acc(e_ours), acc(e_cf)
    print(f"curves: {n} (10 doses x 3 replicates), LL.4, noise SD 5 on a 0-100 scale")
    print(
        f"p53lab fit_batch (fit + SEs + ED10/50/90 CIs): {t_ours:8.3f} s median of 5 "
        f"(first call {t_first:.3f} s)   ok {n_ok}/{n}"
    )
    print(f"p53lab fit_arrays (same, plus {n} result objects): {t_objects:8.3f} s")
    print(f"scipy curve_fit loop (fit only):               {t_cf:8.3f} s")
    print(
        f"speed-up (fit_batch vs curve_fit loop): {t_cf / t_ours:.1f}x "
        f"(first call: {t_cf / t_first:.1f}x)"
    )
    print(f"speed-up (fit_arrays vs curve_fit loop): {t_cf / t_objects:.1f}x")
    print(f"median |log(e_hat/e_true)|: p53lab {m_ours:.5f}  curve_fit {m_cf:.5f}")
    print(f"failed fits: p53lab {f_ours:.2%}  curve_fit {f_cf:.2%}")


if __name__ == "__main__":
    main()
