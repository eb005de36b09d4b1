"""Fast batched least squares for the log-logistic curves with f = 1 (LL.2, LL.3, LL.4).

Written by hand because no maintained library fits thousands of small nonlinear curves at
once: ``scipy.optimize.curve_fit``/``least_squares`` take one curve per call, and the Python
overhead of those calls, not the arithmetic, is what limits a plate-scale screen.

Four devices make the batch cheap, none of them changing the optimum:

* **Replicates as sufficient statistics.** When every curve has the same dose vector (the
  plate-screen case), the residual sum of squares is
  Σ_points (y − f)² = Σ_doses n_j·(ȳ_j − f_j)² + Σ_points (y − ȳ_j)², so the fit runs on
  the per-dose means with weights n_j, and the pure-error term is added back for σ².
* **Variable projection** (Golub & Pereyra 1973, SIAM J Numer Anal 10:413; Kaufman 1975,
  BIT 15:49). f = c + (d − c)·s(x; b, e) is linear in c and d, so they are solved in closed
  form (weighted 2 × 2 least squares) for every trial (b, log e), and Levenberg–Marquardt
  runs on the two nonlinear parameters with Kaufman's projected Jacobian.
* **Newton steps near the optimum.** Gauss–Newton converges only linearly when the
  residuals are not small (noisy curves), so once an accepted step has lowered the RSS by
  less than 10 % a curve switches to (lightly damped) Newton steps on the exact Hessian of
  the reduced (variable-projection) RSS: the Schur complement of the full Hessian in
  (b, log e, c, d) at the optimal c and d, from the analytic second derivatives of f. It
  converges quadratically; where that Hessian is not positive definite the Gauss–Newton
  matrix is used instead, and a Newton step that does not lower the RSS is followed by a
  damped Gauss–Newton one (the RSS never increases).
* **Closed-form 2 × 2 algebra.** Normal equations, damping and solves are written out per
  curve as array expressions, so one iteration is a few dozen NumPy operations on (doses ×
  curves) arrays whatever the number of curves; doses run along the first axis so that every
  per-curve sum is a handful of contiguous vector additions. Per-curve factors (d − c, b)
  are taken out of the sums, so that few (doses × curves) temporaries are formed.

Starts come from a grid on (b, log e) within the tested dose range; with c and d both free,
LL.4 is symmetric under (b, c, d) → (−b, d, c), so only b > 0 is gridded. Inference follows
drc exactly (observed Hessian of the RSS, here in closed form from the analytic first and
second derivatives of f; delta-method ED intervals with t quantiles), as in
:mod:`p53lab.assays.dose_response`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._dr_models import B_MAX, LOG_E_PAD

__all__ = ["fit_ll_fast"]

REL_TOL = 1e-10  # stop when an accepted step lowers the RSS by less than this fraction
STEP_TOL = 1e-8  # ... or moves (b, log e) by less than this (relative for b)
GRID_E = 3  # grid points on log e per slope, spanning the tested doses
NEWTON_TOL = 1e-4  # ... or an accepted Newton step moves less than this (quadratic phase)
STALL_EVERY, STALL_TOL = 6, 1e-7  # ... or gains less than STALL_TOL of the RSS in 6 steps
NEAR_REL = 0.1  # Newton steps once an accepted step lowered the RSS by less than this
LAM0, LAM_UP = 0.1, 4.0  # initial damping; its increase after a rejected Gauss-Newton step


def _aggregate(x: np.ndarray, y: np.ndarray):
    """Transposed (doses × curves) log doses, positive-dose mask, weights, means and the
    pure-error SS per curve: on unique doses when all curves share their doses, otherwise on
    the points themselves with 0/1 weights."""
    finite = np.isfinite(y)
    if x.shape[0] > 1 and np.array_equal(x, np.broadcast_to(x[:1], x.shape)):
        u, inv = np.unique(x[0], return_inverse=True)
        g = np.zeros((u.size, x.shape[1]))
        g[inv, np.arange(x.shape[1])] = 1.0
        if finite.all():  # no missing values: the counts are the same for every curve
            cnt = g.sum(1)
            w = np.empty((u.size, x.shape[0]))
            w[...] = cnt[:, None]
            ybar = g @ y.T
            ybar /= cnt[:, None]
            dev = ybar[inv]
            np.subtract(y.T, dev, out=dev)
        else:
            w = g @ finite.T.astype(float)
            s = g @ np.where(finite, y, 0.0).T
            with np.errstate(invalid="ignore", divide="ignore"):
                ybar = np.where(w > 0, s / w, 0.0)
            dev = np.where(finite.T, y.T - ybar[inv], 0.0)
        pe = np.einsum("mn,mn->n", dev, dev)
        xu = u[:, None]
    else:
        w = finite.T.astype(float)
        ybar = np.where(finite, y, 0.0).T
        pe = np.zeros(x.shape[0])
        xu = x.T
    pos = xu > 0
    with np.errstate(divide="ignore"):
        lx = np.where(pos, np.log(np.where(pos, xu, 1.0)), 0.0)
    return lx, pos, np.ascontiguousarray(w), np.ascontiguousarray(ybar), pe


class _Problem:
    """Weighted data of a batch of curves (doses × curves) and the model's linear part."""

    def __init__(self, lx, pos, w, y, c_fixed, d_fixed):
        self.lx, self.pos, self.w, self.y = lx, pos, w, y
        self.all_pos = bool(pos.all())
        # Equal weights everywhere (shared doses, no missing values): sums need no products.
        self.w0 = float(w.flat[0]) if w.size and np.all(w == w.flat[0]) else None
        self.c0, self.d0 = c_fixed, d_fixed  # None when free
        self.sw = w.sum(0)
        self.wy = w * y
        self.sy = self.wy.sum(0)

    def take(self, idx, data: bool = True):
        """The curves ``idx``; without the responses (enough for the normal equations) when
        ``data`` is False. With equal weights, w and w·y are not carried (unused)."""
        p = _Problem.__new__(_Problem)
        p.lx = self.lx if self.lx.shape[1] == 1 else self.lx[:, idx]
        p.pos = self.pos if self.pos.shape[1] == 1 else self.pos[:, idx]
        p.all_pos, p.w0, p.c0, p.d0 = self.all_pos, self.w0, self.c0, self.d0
        p.sw = self.sw[idx]
        p.w = None if self.w0 is not None else self.w[:, idx]
        if data:
            p.y, p.sy = self.y[:, idx], self.sy[idx]
            p.wy = None if self.w0 is not None else self.wy[:, idx]
        return p

    def ydot(self, a):
        """Σ_doses w·y·a per curve."""
        if self.w0 is not None:
            return self.w0 * np.einsum("mn,mn->n", self.y, a)
        return np.einsum("mn,mn->n", self.wy, a)

    def wsum(self, a):
        """Σ_doses w·a per curve."""
        if self.w0 is not None:
            return self.w0 * a.sum(0)
        return np.einsum("mn,mn->n", self.w, a)

    def wdot(self, a, b):
        """Σ_doses w·a·b per curve, without an (doses × curves) temporary when w is equal."""
        if self.w0 is not None:
            return self.w0 * np.einsum("mn,mn->n", a, b)
        return np.einsum("mn,mn,mn->n", self.w, a, b)

    def curve(self, b, le):
        """s = 1/(1 + exp(b·(log x − log e))); at x = 0 its limit (1 for b > 0)."""
        with np.errstate(over="ignore", invalid="ignore"):
            s = self.lx - le
            s *= b
            np.exp(s, out=s)  # 1/(1 + exp(t)) is accurate to the last bits, also as s → 0
            s += 1.0
            np.divide(1.0, s, out=s)
        if self.all_pos:
            return s
        return np.where(self.pos, s, np.where(b > 0, 1.0, np.where(b < 0, 0.0, 0.5)))

    def linear(self, s):
        """Weighted least-squares c and d for fixed s (closed form); the fixed ones as given."""
        n = s.shape[1]
        if self.c0 is None and self.d0 is None:
            ss, sss = self.wsum(s), self.wdot(s, s)
            ssy = self.ydot(s)
            det = self.sw * sss - ss * ss
            ok = np.abs(det) > 1e-12 * (self.sw * sss + 1e-300)
            with np.errstate(invalid="ignore", divide="ignore"):
                k = np.where(ok, (self.sw * ssy - ss * self.sy) / np.where(ok, det, 1.0), 0.0)
                c = (self.sy - k * ss) / self.sw
            return c, c + k
        if self.c0 is not None and self.d0 is None:
            c = np.full(n, self.c0)
            num = self.ydot(s) - self.c0 * self.wsum(s)
            k = num / np.maximum(self.wdot(s, s), 1e-300)
            return c, c + k
        if self.d0 is not None and self.c0 is None:
            d = np.full(n, self.d0)
            u = 1.0 - s
            num = self.ydot(u) - self.d0 * self.wdot(s, u)
            c = num / np.maximum(self.wdot(u, u), 1e-300)
            return c, d
        return np.full(n, self.c0), np.full(n, self.d0)

    def evaluate(self, b, le):
        s = self.curve(b, le)
        c, d = self.linear(s)
        r = s * (c - d)
        r += self.y
        r -= c  # y − c − (d − c)·s
        rss = self.wdot(r, r)
        return s, c, d, r, np.where(np.isfinite(rss), rss, np.inf)

    def normal_equations(self, b, le, s, c, d, r):
        """Kaufman's projected Jacobian in (b, log e) and the exact reduced Hessian.

        Returns J'WJ (3 entries), the Hessian H/2 of the variable-projection RSS (3) and
        J'Wr (2). With P the W-orthogonal projection onto the linear columns A, the projected
        columns give (PG)'W(PG) = G'WG − (A'WG)'(A'WA)⁻¹(A'WG); and since the residual is
        already W-orthogonal to A, (PG)'Wr = G'Wr. The reduced Hessian is the Schur
        complement of the full Hessian of the RSS in (b, log e, linear part) at the optimal
        linear part, i.e. the same expression with the second-derivative terms of f added:
        H_θθ = G'WG − Σ w·r·∂²f/∂θ² and A'WG − Σ w·r·∂²f/∂a∂θ.

        With t = b·(log x − log e), ∂f/∂b = −k·σ·δ and ∂f/∂log e = b·k·σ, where
        k = d − c, σ = s(1 − s) = −∂s/∂t and δ = log x − log e; the per-curve factors k and
        b come out of the sums, so only weighted sums of products of σ, δ, s and r are
        formed."""
        ds = 1.0 - s
        ds *= s  # σ
        dl = self.lx - le  # δ
        if not self.all_pos:
            dl = np.where(self.pos, dl, 0.0)
            ds = np.where(self.pos, ds, 0.0)
        u = ds * dl
        k = d - c
        bk = b * k
        kk = k * k
        dot = self.wdot
        a11 = kk * dot(u, u)
        a12 = -b * kk * dot(u, ds)
        a22 = (b * b) * kk * dot(ds, ds)
        t0, t1 = dot(ds, r), dot(u, r)
        v1, v2 = -k * t1, bk * t0
        # second-derivative terms: ∂²s/∂t² = σ·(1 − 2s)
        e2 = s * -2.0
        e2 += 1.0
        e2 *= r
        s0, s1 = dot(e2, ds), dot(e2, u)
        e2 *= u
        s2 = dot(e2, dl)
        h11 = a11 - k * s2
        h12 = a12 - k * (t0 - b * s1)
        h22 = a22 - k * (b * b) * s0
        u1, u2 = -t1, b * t0  # Σ w·r·∂²f/∂(d − c)∂θ
        if self.c0 is None and self.d0 is None:
            ss, sss = self.wsum(s), dot(s, s)
            det = self.sw * sss - ss * ss
            det = np.where(np.abs(det) > 0, det, 1.0)
            # A'WG, columns 1 and s
            p1, q1 = -k * self.wsum(u), -k * dot(s, u)
            p2, q2 = bk * self.wsum(ds), bk * dot(s, ds)

            def quad(pa, qa, pb, qb):  # (A'Wga)'(A'WA)⁻¹(A'Wgb)
                return (sss * pa * pb - ss * (pa * qb + qa * pb) + self.sw * qa * qb) / det

            a11 = a11 - quad(p1, q1, p1, q1)
            a12 = a12 - quad(p1, q1, p2, q2)
            a22 = a22 - quad(p2, q2, p2, q2)
            q1, q2 = q1 - u1, q2 - u2
            h11 = h11 - quad(p1, q1, p1, q1)
            h12 = h12 - quad(p1, q1, p2, q2)
            h22 = h22 - quad(p2, q2, p2, q2)
        elif self.c0 is None or self.d0 is None:
            q1, q2 = -k * dot(s, u), bk * dot(s, ds)  # Σ w·s·g
            if self.d0 is None:  # the free linear column is s, its coefficient d − c
                den = dot(s, s)
                r1, r2 = q1 - u1, q2 - u2
            else:  # the free linear column is 1 − s, its coefficient c − d
                us = 1.0 - s
                den = dot(us, us)
                q1, q2 = -k * self.wsum(u) - q1, bk * self.wsum(ds) - q2
                r1, r2 = q1 + u1, q2 + u2
            den = np.maximum(den, 1e-300)
            a11, a12, a22 = a11 - q1 * q1 / den, a12 - q1 * q2 / den, a22 - q2 * q2 / den
            h11, h12, h22 = h11 - r1 * r1 / den, h12 - r1 * r2 / den, h22 - r2 * r2 / den
        return a11, a12, a22, h11, h12, h22, v1, v2


def _logit_start(prob: _Problem):
    """(b, log e) from the linearised curve: with c and d just outside the observed range,
    log((d − y)/(y − c)) = b·log x − b·log e is a weighted straight line in log x."""
    w = prob.w * prob.pos
    has = w > 0
    lo = np.where(has, prob.y, np.inf).min(0)
    hi = np.where(has, prob.y, -np.inf).max(0)
    pad = 0.05 * (hi - lo) + 1e-12
    c = lo - pad if prob.c0 is None else np.full_like(lo, prob.c0)
    d = hi + pad if prob.d0 is None else np.full_like(hi, prob.d0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.log((d - prob.y) / (prob.y - c))
    w = np.where(np.isfinite(z), w, 0.0)
    z = np.where(w > 0, z, 0.0)
    lx = np.broadcast_to(prob.lx, w.shape)
    sw = w.sum(0)
    mx = np.einsum("mn,mn->n", w, lx) / np.maximum(sw, 1e-300)
    mz = np.einsum("mn,mn->n", w, z) / np.maximum(sw, 1e-300)
    dx = lx - mx
    sxx = np.einsum("mn,mn->n", w * dx, dx)
    b = np.einsum("mn,mn->n", w * dx, z - mz) / np.maximum(sxx, 1e-300)
    ok = np.isfinite(b) & (np.abs(b) > 1e-3) & (sw > 0)
    b = np.where(ok, np.clip(b, -B_MAX, B_MAX), 1.0)
    le = np.where(ok, mx - mz / b, mx)
    return b, le


def _grid(prob: _Problem, lx_min, lx_max, symmetric: bool):
    """Best start per curve among the linearised fit and a grid on (b, log e) spanning the
    tested log doses [lx_min, lx_max]."""
    n = prob.w.shape[1]
    lo_le, hi_le = lx_min - LOG_E_PAD, lx_max + LOG_E_PAD
    span_lo, span_hi = lx_min, lx_max
    b0, le0 = _logit_start(prob)
    le0 = np.clip(le0, lo_le, hi_le)
    starts = [(b0, le0)]
    bs = (1.0, 3.0) if symmetric else (-3.0, -1.0, 1.0, 3.0)
    for bv in bs:
        for q in np.linspace(-0.1, 1.1, GRID_E):
            starts.append((np.full(n, bv), span_lo + q * (span_hi - span_lo)))
    best_rss = np.full(n, np.inf)
    best_b, best_le = np.ones(n), 0.5 * (lo_le + hi_le)
    for b, le in starts:
        rss = prob.evaluate(b, le)[-1]
        better = rss < best_rss
        best_rss = np.where(better, rss, best_rss)
        best_b = np.where(better, b, best_b)
        best_le = np.where(better, le, best_le)
    return best_b, best_le


def _lm(prob: _Problem, b, le, lo_le, hi_le, max_iter):
    n = b.shape[0]
    s, c, d, r, rss = prob.evaluate(b, le)
    a11, a12, a22, h11, h12, h22, v1, v2 = prob.normal_equations(b, le, s, c, d, r)
    lam = np.full(n, LAM0)
    active = np.isfinite(rss)
    scale = prob.ydot(prob.y) + 1e-300
    checkpoint = rss.copy()
    near = np.zeros(n, dtype=bool)  # in the Newton phase
    for it in range(max_iter):
        if it and it % STALL_EVERY == 0:
            # Crawling along a ridge (a step-like curve whose slope grows without bound):
            # stop when STALL_EVERY iterations gained less than STALL_TOL of the RSS.
            stalled = active & ((checkpoint - rss) <= STALL_TOL * rss)
            active &= ~stalled
            checkpoint = rss.copy()
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        full = idx.size == n
        sub = prob if full else prob.take(idx)
        la = lam[idx]
        g11, g22 = a11[idx], a22[idx]
        n11, n12, n22 = h11[idx], h12[idx], h22[idx]
        # Newton where the reduced Hessian is positive definite, else Gauss-Newton
        newton = near[idx] & (n11 > 0) & (n22 > 0) & (n11 * n22 > n12 * n12)
        m11 = np.where(newton, n11, g11) + la * g11 + 1e-300
        m22 = np.where(newton, n22, g22) + la * g22 + 1e-300
        m12 = np.where(newton, n12, a12[idx])
        det = m11 * m22 - m12 * m12
        det = np.where(det > 0, det, 1e-300)
        db = (m22 * v1[idx] - m12 * v2[idx]) / det
        dle = (m11 * v2[idx] - m12 * v1[idx]) / det
        bi, lei = b[idx], le[idx]
        nb = np.clip(bi + db, -B_MAX, B_MAX)
        nle = np.clip(lei + dle, lo_le[idx], hi_le[idx])
        ns, nc, nd, nr, nrss = sub.evaluate(nb, nle)
        old = rss[idx]
        better = nrss < old
        nbet = int(better.sum())
        if nbet:
            acc = idx[better]
            b[acc], le[acc], rss[acc] = nb[better], nle[better], nrss[better]
            if 4 * nbet >= 3 * idx.size:  # mostly accepted: cheaper than gathering them
                eq = sub.normal_equations(nb, nle, ns, nc, nd, nr)
                if nbet < idx.size:
                    eq = [q[better] for q in eq]
            else:
                part = sub.take(np.nonzero(better)[0], data=False)
                ps = (nb[better], nle[better], ns[:, better], nc[better], nd[better], nr[:, better])
                eq = part.normal_equations(*ps)
            a11[acc], a12[acc], a22[acc] = eq[:3]
            h11[acc], h12[acc], h22[acc], v1[acc], v2[acc] = eq[3:]
        lam[idx] = np.where(better, np.maximum(la / 3.0, 1e-12), np.where(newton, la, la * LAM_UP))
        rel = (old - nrss) / (old + 1e-300)
        near[idx] = better & (rel < NEAR_REL)
        step = np.maximum(np.abs(nb - bi) / (np.abs(bi) + 1e-6), np.abs(nle - lei))
        done = (
            (step < STEP_TOL)  # converged: the step no longer moves (accepted or not)
            | (newton & better & (step < NEWTON_TOL))
            | (better & (rel < REL_TOL))
            | (lam[idx] > 1e12)
            | (rss[idx] < 1e-28 * scale[idx])
        )
        active[idx[done]] = False
    return b, le, rss, active


def fit_ll_fast(x, y, fixed: dict, levels, level: float, max_iter: int = 200):
    """Fit LL.2/LL.3/LL.4 (f = 1) to every row of (x, y) (curves × points; NaN responses are
    missing). Rows must be valid (checked by the caller). Returns (free parameter names,
    natural estimates (n, k), total RSS (n,), inference dict as
    :func:`p53lab.assays.dose_response._inference` builds it, converged (n,))."""
    c0, d0 = fixed.get("c"), fixed.get("d")
    free = [k for k in ("b", "c", "d", "e") if k not in fixed]
    lx, pos, w, ybar, pe = _aggregate(x, y)
    prob = _Problem(lx, pos, w, ybar, c0, d0)
    posw = pos & (w > 0)
    big = np.broadcast_to(lx, w.shape)
    lx_min = np.where(posw, big, np.inf).min(0)
    lx_max = np.where(posw, big, -np.inf).max(0)
    lx_min = np.where(np.isfinite(lx_min), lx_min, 0.0)
    lx_max = np.where(np.isfinite(lx_max), lx_max, 0.0)
    lo_le, hi_le = lx_min - LOG_E_PAD, lx_max + LOG_E_PAD
    symmetric = c0 is None and d0 is None
    b, le = _grid(prob, lx_min, lx_max, symmetric)
    b, le, rss_w, active = _lm(prob, b, le, lo_le, hi_le, max_iter)
    s, c, d, r, rss_w = prob.evaluate(b, le)
    if symmetric:  # drc's convention: d >= c
        swap = d < c
        b = np.where(swap, -b, b)
        c, d = np.where(swap, d, c), np.where(swap, c, d)
        s = np.where(swap, 1.0 - s, s)
    e = np.exp(le)
    nat = {"b": b, "c": c, "d": d, "e": e}
    pn = np.stack([nat[k] for k in free], axis=1)
    rss = rss_w + pe
    inf = _inference(prob, free, nat, s, r, rss, levels, level)
    return free, pn, rss, inf, ~active


def _spd_inverse(h, max_cond: float = 1e12):
    """Inverses of a stack of small symmetric matrices by Cholesky, written out over the
    k ≤ 4 indices so that each step is one vector operation across the stack. ``h[i][j]``
    (i ≥ j) holds entry (i, j) of every matrix as an (n,) array; returns the inverses as an
    (n, k, k) array.

    ``good`` is False where a matrix is not positive definite or is ill-conditioned: the
    condition number is bounded by tr(H)·tr(H⁻¹) (within a factor k² of the exact value),
    and a bound above ``max_cond`` counts as singular."""
    k = len(h)
    n = h[0][0].shape[0]
    good = np.ones(n, dtype=bool)
    for i in range(k):
        for j in range(i + 1):
            good &= np.isfinite(h[i][j])
    lo = [[None] * k for _ in range(k)]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for j in range(k):
            piv = h[j][j]
            for p in range(j):
                piv = piv - lo[j][p] * lo[j][p]
            good &= piv > 0
            ljj = np.sqrt(np.where(good, piv, 1.0))
            lo[j][j] = ljj
            for i in range(j + 1, k):
                v = h[i][j]
                for p in range(j):
                    v = v - lo[i][p] * lo[j][p]
                lo[i][j] = v / ljj
        # L⁻¹ by forward substitution, then H⁻¹ = L⁻ᵀ L⁻¹
        li = [[None] * k for _ in range(k)]
        for j in range(k):
            li[j][j] = 1.0 / lo[j][j]
            for i in range(j + 1, k):
                v = lo[i][j] * li[j][j]
                for p in range(j + 1, i):
                    v = v + lo[i][p] * li[p][j]
                li[i][j] = -v / lo[i][i]
        inv = np.empty((n, k, k))
        tr_h = h[0][0].copy()
        tr_inv = np.zeros(n)
        for i in range(k):
            if i:
                tr_h += h[i][i]
            for j in range(i + 1):
                v = li[i][i] * li[i][j]
                for p in range(i + 1, k):
                    v = v + li[p][i] * li[p][j]
                inv[:, i, j] = inv[:, j, i] = v
                if i == j:
                    tr_inv += v
        cond = tr_h * tr_inv
    good &= np.isfinite(cond) & (cond < max_cond)
    return inv, good


def _inference(prob: _Problem, free, nat, s, r, rss, levels, level):
    """drc's inference in closed form: the observed Hessian of the RSS from the analytic first
    and second derivatives of f (the swap to d >= c maps the curve onto itself, so the
    residuals r are unchanged)."""
    b, c, d, e = (nat[k] for k in ("b", "c", "d", "e"))
    k = d - c
    ds = s - 1.0
    ds *= s  # ∂s/∂t = −s(1 − s), t = b·(log x − log e)
    dl = prob.lx - np.log(e)
    if not prob.all_pos:  # s is constant in b and e at zero dose
        ds = np.where(prob.pos, ds, 0.0)
        dl = np.where(prob.pos, dl, 0.0)
    u = ds * dl
    rdd = 2.0 * s
    rdd -= 1.0
    rdd *= ds
    rdd *= r  # r·∂²s/∂t²
    dot, wsum = prob.wdot, prob.wsum
    # ∂f/∂b = k·u, ∂f/∂e = −(k·b/e)·∂s/∂t, ∂f/∂c = 1 − s, ∂f/∂d = s
    kbe = k * b / e
    sm, ssq, su, sds = wsum(s), dot(s, s), wsum(u), wsum(ds)
    us, dss = dot(u, s), dot(ds, s)
    rds, ru = dot(r, ds), dot(r, u)
    jj = {
        ("b", "b"): k * k * dot(u, u),
        ("b", "e"): -k * kbe * dot(u, ds),
        ("e", "e"): kbe * kbe * dot(ds, ds),
        ("b", "c"): k * (su - us),
        ("b", "d"): k * us,
        ("c", "e"): -kbe * (sds - dss),
        ("d", "e"): -kbe * dss,
        ("c", "c"): prob.sw - 2.0 * sm + ssq,
        ("c", "d"): sm - ssq,
        ("d", "d"): ssq,
    }
    # Σ w·r·∂²f/∂θi∂θj (zero for the pairs of c and d)
    rdl = rdd * dl
    rf = {
        ("b", "b"): k * dot(rdl, dl),
        ("b", "e"): -kbe * wsum(rdl) - k / e * rds,
        ("e", "e"): kbe * (b / e) * wsum(rdd) + kbe / e * rds,
        ("b", "c"): -ru,
        ("b", "d"): ru,
        ("c", "e"): b / e * rds,
        ("d", "e"): -b / e * rds,
    }
    kf = len(free)
    hess = [[None] * kf for _ in range(kf)]
    for i, pi in enumerate(free):
        for j in range(i + 1):
            key = (free[j], pi) if (free[j], pi) in jj else (pi, free[j])
            v = jj[key]
            if key in rf:
                v = v - rf[key]
            hess[i][j] = 2.0 * v
    nobs = prob.sw
    df = nobs - kf
    sigma2 = rss / np.maximum(df, 1)
    hinv, good = _spd_inverse(hess)
    cov = hinv * np.where(good, 2.0 * sigma2, np.nan)[:, None, None]
    lv = np.asarray(levels, dtype=float)[None, :]
    odds = np.log(lv / (100.0 - lv))
    bb, ee = b[:, None], e[:, None]
    ib, ie = free.index("b"), free.index("e")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ed = ee * np.exp(odds / bb)
        gb = -ed * odds / (bb * bb)
        ge = ed / ee
        cbb, cbe, cee = cov[:, ib, ib, None], cov[:, ib, ie, None], cov[:, ie, ie, None]
        ed_se = np.sqrt(gb * gb * cbb + 2.0 * gb * ge * cbe + ge * ge * cee)
    return inference_table(cov, good, df, sigma2, ed, ed_se, level)


def inference_table(cov, good, df, sigma2, ed, ed_se, level: float) -> dict:
    """The inference arrays both fitters return: covariance, SEs, residual SD and ED
    estimates with their t-based (df) intervals at ``level``."""
    uniq, inv = np.unique(np.maximum(df, 1), return_inverse=True)
    tq = stats.t.ppf(0.5 + level / 2, uniq)[inv].reshape(-1, 1)
    return {
        "cov": cov,
        "se": np.sqrt(np.einsum("nii->ni", cov)),
        "good": good,
        "df": df,
        "sigma": np.sqrt(sigma2),
        "ed": ed,
        "ed_se": ed_se,
        "ed_lo": ed - tq * ed_se,
        "ed_hi": ed + tq * ed_se,
    }
