"""``simulate(model, schedule, times_h)``: one run, as a pure function.

Integration uses SciPy's stiff-capable solvers (LSODA by default, BDF or Radau on request).
The run is split at schedule changes and SBML events; models with ``delay()`` are integrated by
the method of steps (segments no longer than the shortest delay, each reading the dense output
of the segments before it), which libRoadRunner refuses to do. Failures become a status and a
message on the result, never an exception, unless ``raise_on_failure=True``.
"""

from __future__ import annotations

import bisect
import math
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from .._version import __version__
from ..errors import ModelError, ParameterError, SimulationError, param_error
from ..model._model import Model
from ._compile import CompiledModel, compile_model, initial_vectors
from ._result import SimulationResult
from ._schedule import Schedule

__all__ = ["SolverSettings", "SteadyState", "default_outputs", "simulate", "steady_state"]

_METHODS = ("LSODA", "BDF", "Radau", "RK45", "DOP853")
MAX_RHS_EVALS = 2_000_000  # per run: a diverging or pathological run stops with a status


@dataclass(frozen=True)
class SolverSettings:
    """Solver configuration; validated on construction."""

    method: str = "LSODA"
    rtol: float = 1e-6
    atol: float = 1e-9
    max_step: float = math.inf

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise param_error("simulate", "method", f"one of {_METHODS}", self.method)
        for name in ("rtol", "atol", "max_step"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and v > 0):
                raise param_error("simulate", name, "> 0", v)

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "rtol": self.rtol,
            "atol": self.atol,
            "max_step": self.max_step,
        }


class _History:
    """Past states of a run, for ``delay()``; before the start the state is the initial one."""

    def __init__(self, cm: CompiledModel, t0: float, y0: np.ndarray):
        self.cm = cm
        self.t0 = t0
        self.y0 = y0.copy()
        self.starts: list[float] = []
        self.segs: list[tuple[float, float, object]] = []
        self.p: np.ndarray | None = None

    def add(self, ta: float, tb: float, sol) -> None:
        if sol is not None and tb > ta:
            self.starts.append(ta)
            self.segs.append((ta, tb, sol))

    def state(self, t: float) -> np.ndarray:
        if t <= self.t0 or not self.segs:
            return self.y0
        i = bisect.bisect_right(self.starts, t) - 1
        ta, tb, sol = self.segs[max(i, 0)]
        return sol(min(max(t, ta), tb))

    def __call__(self, k: int, t_past):
        if np.ndim(t_past):
            return np.array([self(k, float(tp)) for tp in np.ravel(t_past)])
        return self.cm.delayed[k](t_past, self.state(float(t_past)), self.p, self)


@dataclass
class _Run:
    cm: CompiledModel
    y: np.ndarray
    p: np.ndarray
    t: float
    settings: SolverSettings
    hist: _History
    trig: list[bool] = field(default_factory=list)
    pending: list[tuple[float, int, int, tuple | None]] = field(default_factory=list)
    n_pending: int = 0
    n_evals: int = 0

    # ---------------------------------------------------------------- events
    def _scale(self) -> float:
        return 1.0 + max(
            float(np.max(np.abs(self.y), initial=0.0)), float(np.max(np.abs(self.p), initial=0.0))
        )

    def execute(self, k: int, values: tuple | None) -> None:
        ev = self.cm.events[k]
        if values is None:
            values = ev.assign(self.t, self.y, self.p, self.hist)
        for (where, idx), v in zip(ev.targets, values, strict=True):
            (self.y if where == "y" else self.p)[idx] = float(v)

    def fire(self, k: int) -> None:
        ev = self.cm.events[k]
        d = ev.delay(self.t, self.y, self.p, self.hist) if ev.delay else 0.0
        if d < 0:
            raise SimulationError(f"Event {ev.id!r} has a negative delay ({d}) at t={self.t}.")
        if d == 0:
            self.execute(k, None)
            return
        vals = (
            ev.assign(self.t, self.y, self.p, self.hist)
            if ev.use_values_from_trigger_time
            else None
        )
        self.n_pending += 1
        self.pending.append((self.t + d, -self._priority(k), self.n_pending, (k, vals)))
        self.pending.sort()

    def _priority(self, k: int) -> float:
        ev = self.cm.events[k]
        return ev.priority(self.t, self.y, self.p, self.hist) if ev.priority else 0.0

    def cascade(self, crossed_up: Sequence[int] = (), crossed_down: Sequence[int] = ()) -> None:
        """Update trigger states at the current time and fire every false→true transition."""
        if not self.cm.events:
            return
        fresh = set(crossed_up)
        # The root finder is authoritative at this instant for the events it reported: a
        # trigger that just went false stays false (re-armed) even if, exactly on the
        # boundary, the relation still reads true; otherwise it would fire again at once.
        settled = set(crossed_down)
        for k in crossed_down:
            self.trig[k] = False
        to_fire = sorted(fresh, key=lambda k: -self._priority(k))
        for k in fresh:
            self.trig[k] = True
        for _ in range(1000):
            for k in to_fire:
                self.fire(k)
            to_fire = []
            tol = 1e-9 * self._scale()
            for k, ev in enumerate(self.cm.events):
                if k in settled:
                    continue
                now = bool(ev.trigger(self.t, self.y, self.p, self.hist))
                if k in fresh and not now:
                    # the root finder stops on the crossing, where the relation may still read
                    # false by rounding: keep it true unless it moved clearly back
                    now = ev.root(self.t, self.y, self.p, self.hist) > -tol
                if now and not self.trig[k]:
                    to_fire.append(k)
                elif not now and self.trig[k]:
                    self.trig[k] = False
                    if not ev.persistent:
                        self.pending = [x for x in self.pending if x[3][0] != k]
            for k in to_fire:
                self.trig[k] = True
            if not to_fire:
                return
            settled = set()
            to_fire.sort(key=lambda k: -self._priority(k))
        raise SimulationError(f"Events keep triggering each other at t={self.t}; check triggers.")

    def run_pending(self, t: float) -> bool:
        ran = False
        while self.pending and self.pending[0][0] <= t + 1e-12 * max(1.0, abs(t)):
            _, _, _, (k, vals) = self.pending.pop(0)
            ev = self.cm.events[k]
            if not ev.persistent and not self.trig[k]:
                continue
            self.execute(k, vals)
            ran = True
        return ran

    def event_functions(self):
        fns = []
        for k, ev in enumerate(self.cm.events):
            sign = -1.0 if self.trig[k] else 1.0

            def f(t, y, _ev=ev, _s=sign):
                return _s * _ev.root(t, y, self.p, self.hist)

            f.terminal = True
            f.direction = 1.0
            fns.append(f)
        return fns


def _times(times_h, t_end, points) -> np.ndarray:
    if times_h is None:
        if t_end is None:
            raise ParameterError(
                "simulate needs output times: give times_h, or t_end (and points)."
            )
        t_end = float(t_end)
        if not math.isfinite(t_end) or t_end <= 0:
            raise param_error("simulate", "t_end", "a finite time > 0", t_end)
        n = 101 if points is None else int(points)
        if n < 2:
            raise param_error("simulate", "points", ">= 2", points)
        return np.linspace(0.0, t_end, n)
    t = np.asarray(times_h, dtype=float).ravel()
    if t.size < 1 or not np.all(np.isfinite(t)):
        raise param_error("simulate", "times_h", "a non-empty sequence of finite times", times_h)
    if np.any(np.diff(t) <= 0):
        raise param_error("simulate", "times_h", "strictly increasing", list(t[:5]))
    return t


def _apply_changes(run: _Run, changes) -> None:
    for ch in changes:
        where, idx = run.cm.index(ch.target)
        arr = run.y if where == "y" else run.p
        arr[idx] = ch.value if ch.mode == "set" else arr[idx] + ch.value


def simulate(
    model: Model,
    schedule: Schedule | None = None,
    times_h=None,
    *,
    t_end: float | None = None,
    points: int | None = None,
    outputs: Sequence[str] | None = None,
    method: str = "LSODA",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_step: float = math.inf,
    preequilibrate: bool = False,
    raise_on_failure: bool = False,
) -> SimulationResult:
    """Simulate ``model`` under ``schedule`` and report ``outputs`` at ``times_h``.

    Times are in the model's time unit (hours for p53lab's own models). ``outputs`` defaults
    to every species that can change plus the model's observables; any species, parameter,
    rule target or observable may be named. With ``preequilibrate`` the model first runs to
    its steady state without the schedule (the untreated cell), then the schedule starts.

    Returns a :class:`SimulationResult`; a solver failure gives ``status='failed'`` and a
    message, with the rows reached so far, unless ``raise_on_failure``.
    """
    if not isinstance(model, Model):
        raise ParameterError(f"simulate needs a Model. Got {type(model).__name__} instead.")
    settings = SolverSettings(method, rtol, atol, max_step)
    schedule = schedule or Schedule()
    times = _times(times_h, t_end, points)
    cm = compile_model(model)
    cols = _output_columns(model, cm, outputs)
    out_idx = [cm.output_ids.index(c) for c in cols]
    for ch in schedule.changes:
        cm.index(ch.target)  # unknown targets fail before any work
    y0, p0 = initial_vectors(model, cm)
    if preequilibrate:
        ss = _steady(cm, y0, p0, settings, t_max=1e4, tol=1e-10)
        if ss.status != "ok":
            return _failed_result(
                times,
                cols,
                f"pre-equilibration failed: {ss.message}",
                model,
                schedule,
                settings,
                raise_on_failure,
            )
        y0 = ss.y
    start = _time.perf_counter()
    values, status, message = run_vectors(cm, y0, p0, schedule, times, out_idx, settings)
    if status != "ok" and raise_on_failure:
        raise SimulationError(f"Simulation of {model.id!r} failed: {message}")
    prov = _provenance(
        model,
        schedule,
        settings,
        time_elapsed=_time.perf_counter() - start,
        preequilibrate=preequilibrate,
    )
    return SimulationResult(
        times=times,
        columns=tuple(cols),
        values=values,
        status=status,
        message=message,
        provenance=prov,
        time_units=model.time_units,
    )


def run_vectors(
    cm: CompiledModel,
    y0: np.ndarray,
    p0: np.ndarray,
    schedule: Schedule,
    times: np.ndarray,
    out_idx: Sequence[int],
    settings: SolverSettings,
) -> tuple[np.ndarray, str, str]:
    """Integrate one run from the vectors ``y0``/``p0``: (values, status, message).

    ``values`` has one row per time and one column per output index; failures are a status.
    """
    t0 = float(min(times[0], 0.0))
    hist = _History(cm, t0, y0)
    hist.p = p0.copy()
    run = _Run(
        cm=cm,
        y=y0.copy(),
        p=hist.p,
        t=t0,
        settings=settings,
        hist=hist,
        trig=[ev.initial_value for ev in cm.events],
    )
    values = np.full((times.size, len(out_idx)), np.nan)
    status, message = "ok", ""
    change_times = sorted({c.t_h for c in schedule.changes})
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _apply_changes(run, [c for c in schedule.changes if c.t_h <= t0])
            run.cascade()
            if times[0] == t0:
                values[0] = _eval_outputs(cm, out_idx, np.array([t0]), run.y[:, None], run.p, hist)[
                    :, 0
                ]
            t_final = float(times[-1])
            stalls, last_t = 0, run.t
            while run.t < t_final:
                stalls = stalls + 1 if run.t == last_t else 0
                last_t = run.t
                if stalls > 100:
                    raise SimulationError(f"events keep firing at t={run.t:.6g} without progress")
                t_stop = t_final
                nxt = [c for c in change_times if c > run.t]
                if nxt:
                    t_stop = min(t_stop, nxt[0])
                if run.pending:
                    t_stop = min(t_stop, max(run.pending[0][0], run.t))
                if cm.has_delays:
                    taus = [float(f(run.t, run.y, run.p, hist)) for f in cm.delay_taus]
                    taus = [x for x in taus if x > 0]
                    if taus:
                        t_stop = min(t_stop, run.t + min(taus))
                if t_stop > run.t:
                    _segment(run, times, t_stop, values, out_idx)
                else:
                    run.t = t_stop
                # at run.t: schedule changes, delayed events
                at = [c for c in schedule.changes if abs(c.t_h - run.t) <= 1e-12 * max(1, run.t)]
                if at:
                    _apply_changes(run, at)
                    run.cascade()
                if run.run_pending(run.t):
                    run.cascade()
                # an output time at this instant reports the state after the changes made at
                # it, as at t0 (and as libRoadRunner and the SBML test suite do)
                _record_instant(run, times, values, out_idx)
    except SimulationError as exc:
        status, message = "failed", str(exc)
    except (
        FloatingPointError,
        ZeroDivisionError,
        OverflowError,
        ValueError,
        np.linalg.LinAlgError,
    ) as exc:
        status, message = "failed", f"solver failed near t={run.t:.6g}: {exc}"
    if status == "ok" and not np.all(np.isfinite(values)):
        bad = int(np.argmax(~np.all(np.isfinite(values), axis=1)))
        status, message = "failed", f"non-finite values from t={times[bad]:.6g} on"
    return values, status, message


def _segment(
    run: _Run, times: np.ndarray, t_stop: float, values: np.ndarray, out_idx: list[int]
) -> None:
    cm, s = run.cm, run.settings
    t_start = run.t
    mask = (times > t_start) & (times <= t_stop)
    t_eval = np.unique(np.append(times[mask], t_stop))
    fns = run.event_functions()

    def rhs(t, y):
        run.n_evals += 1
        if run.n_evals > MAX_RHS_EVALS:
            raise SimulationError(
                f"gave up after {MAX_RHS_EVALS:,} right-hand-side evaluations "
                f"near t={t:.6g} (the solution may diverge or be too stiff "
                "for this method)"
            )
        dy = cm.rhs(t, y, run.p, run.hist)
        if not np.all(np.isfinite(dy)):
            raise SimulationError(
                f"non-finite rates at t={t:.6g}: the solution diverges or a "
                "rate law divides by zero"
            )
        return dy

    sol = solve_ivp(
        rhs,
        (t_start, t_stop),
        run.y,
        method=s.method,
        t_eval=t_eval,
        events=fns or None,
        dense_output=cm.has_delays,
        rtol=s.rtol,
        atol=s.atol,
        max_step=s.max_step,
    )
    if sol.status == -1:
        raise SimulationError(f"the solver stopped after t={t_start:.6g} ({sol.message})")
    sol_t = np.asarray(sol.t, dtype=float)
    if sol_t.size:
        keep = np.isin(sol_t, times[mask])
        if keep.any():
            tt = sol_t[keep]
            rows = np.searchsorted(times, tt)
            ys = np.asarray(sol.y, dtype=float).reshape(len(run.y), -1)[:, keep]
            values[rows] = _eval_outputs(cm, out_idx, tt, ys, run.p, run.hist).T
    run.hist.add(t_start, t_stop, sol.sol if cm.has_delays else None)
    if sol.status == 1:  # a trigger changed
        hit = [k for k, te in enumerate(sol.t_events) if len(te)]
        te = float(sol.t_events[hit[0]][-1])
        run.y = np.array(sol.y_events[hit[0]][-1], dtype=float)
        run.t = te
        if cm.has_delays:
            run.hist.segs[-1] = (t_start, te, sol.sol)
        up = [k for k in hit if not run.trig[k]]
        down = [k for k in hit if run.trig[k]]
        run.cascade(up, down)
    else:
        run.y = np.array(np.asarray(sol.y)[:, -1], dtype=float)
        run.t = t_stop


def _record_instant(run: _Run, times: np.ndarray, values: np.ndarray, out_idx) -> None:
    i = int(np.searchsorted(times, run.t))
    for j in (i - 1, i):
        if 0 <= j < times.size and abs(times[j] - run.t) <= 1e-12 * max(1.0, abs(run.t)):
            values[j] = _eval_outputs(
                run.cm, out_idx, np.array([times[j]]), run.y[:, None], run.p, run.hist
            )[:, 0]


def _eval_outputs(cm: CompiledModel, out_idx, t: np.ndarray, Y: np.ndarray, p, hist):
    if cm.has_delays:
        cols = []
        for j in range(t.size):
            o = cm.outputs(float(t[j]), Y[:, j], p, hist)
            cols.append([float(o[i]) for i in out_idx])
        return np.array(cols, dtype=float).T.reshape(len(out_idx), t.size)
    o = cm.outputs(t, Y, p, hist)
    return np.array([np.broadcast_to(np.asarray(o[i], dtype=float), t.shape) for i in out_idx])


def default_outputs(model: Model, cm: CompiledModel | None = None) -> list[str]:
    """What a run reports when no outputs are named: every species that can change (state or
    rule target), in the model's order, then the observables."""
    cm = cm or compile_model(model)
    rule_targets = {r.variable for r in model.assignment_rules}
    state = set(cm.state_ids)
    cols = [s.id for s in model.species if s.id in state or s.id in rule_targets]
    return cols + [o.id for o in model.observables]


def _output_columns(model: Model, cm: CompiledModel, outputs) -> list[str]:
    if outputs is None:
        return default_outputs(model, cm)
    cols = list(outputs)
    for c in cols:
        if c not in cm.output_ids:
            import difflib

            close = difflib.get_close_matches(c, cm.output_ids, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ModelError(f"Model {model.id!r} has no output {c!r}.{hint}")
    return cols


def _provenance(model: Model, schedule: Schedule, settings: SolverSettings, **extra) -> dict:
    return {
        "model_id": model.id,
        "model_fingerprint": model.fingerprint(),
        "parameters": {p.id: p.value for p in model.parameters},
        "schedule": schedule.to_list(),
        "solver": settings.to_dict(),
        "p53lab_version": __version__,
        **extra,
    }


def _failed_result(times, cols, message, model, schedule, settings, raise_on_failure):
    if raise_on_failure:
        raise SimulationError(f"Simulation of {model.id!r} failed: {message}")
    return SimulationResult(
        times=times,
        columns=tuple(cols),
        values=np.full((times.size, len(cols)), np.nan),
        status="failed",
        message=message,
        provenance=_provenance(model, schedule, settings),
        time_units=model.time_units,
    )


# ------------------------------------------------------------------------------ steady state


@dataclass(frozen=True)
class SteadyState:
    """A steady state: values by name, with status and the largest remaining rate of change."""

    values: Mapping[str, float]
    status: str
    message: str
    max_abs_rate: float
    t_reached: float
    y: np.ndarray = field(repr=False, compare=False, default=None)

    def __getitem__(self, name: str) -> float:
        return self.values[name]


def _steady(
    cm: CompiledModel,
    y0: np.ndarray,
    p: np.ndarray,
    settings: SolverSettings,
    t_max: float,
    tol: float,
) -> SteadyState:
    if cm.events or cm.has_delays:
        raise ModelError("steady_state needs a model without events or delays.")
    y, t, horizon = y0.copy(), 0.0, 1.0
    rate = math.inf
    scale = 1.0
    while t < t_max:
        sol = solve_ivp(
            lambda tt, yy: cm.rhs(tt, yy, p, None),
            (t, t + horizon),
            y,
            method="BDF" if settings.method in ("RK45", "DOP853", "LSODA") else settings.method,
            rtol=min(settings.rtol, 1e-8),
            atol=min(settings.atol, 1e-12),
        )
        if sol.status == -1:
            return SteadyState({}, "failed", f"the solver stopped: {sol.message}", rate, t, y)
        y, t = sol.y[:, -1], t + horizon
        dy = np.asarray(cm.rhs(t, y, p, None))
        scale = max(1.0, float(np.max(np.abs(y), initial=0.0)))
        rate = float(np.max(np.abs(dy), initial=0.0))
        if rate <= tol * scale:
            vals = dict(zip(cm.state_ids, map(float, y), strict=True))
            return SteadyState(vals, "ok", "", rate, t, y)
        horizon *= 2
    return SteadyState(
        dict(zip(cm.state_ids, map(float, y), strict=True)),
        "failed",
        f"no steady state within t={t_max:g}: the largest rate of change is "
        f"{rate:.3g} (the model may oscillate)",
        rate,
        t,
        y,
    )


def steady_state(
    model: Model, *, t_max: float = 1e4, tol: float = 1e-10, method: str = "LSODA"
) -> SteadyState:
    """Integrate until every rate of change is below ``tol`` × the largest state value."""
    cm = compile_model(model)
    y0, p0 = initial_vectors(model, cm)
    ss = _steady(cm, y0, p0, SolverSettings(method=method), t_max, tol)
    if ss.status == "ok":
        o = cm.outputs(ss.t_reached, ss.y, p0, None)
        vals = {name: float(np.asarray(o[i])) for i, name in enumerate(cm.output_ids)}
        return SteadyState(vals, ss.status, ss.message, ss.max_abs_rate, ss.t_reached, ss.y)
    return ss
