"""FCS read + compensation + logicle + quadrant gate: p53lab.flow vs FlowKit (not a test).

Writes a synthetic FCS 3.1 file (default 1,000,000 events, 10 channels, float32, a 6-colour
$SPILLOVER matrix) into a temporary folder, then times, best of ``--repeat`` runs each:

* FlowKit: ``flowkit.Sample(path)``, ``apply_compensation`` with the file's spillover,
  ``apply_transform`` with a LogicleTransform on the two gated channels only (FlowKit's cheapest
  route), and the quadrant gate in numpy on ``get_events(source="xform")``;
* p53lab: ``read_fcs`` + ``quadrant_gate(..., spillover="file", transform=Logicle())``, which
  compensates only the gated columns and decides the logicle-scale thresholds without
  transforming every event (see ``p53lab.flow.gating``);
* p53lab, with the logicle values of both gated channels computed for every event (as needed
  for plots or an event table), to show where the time goes.

Prints the times, the speed-up and whether every event lands in the same quadrant.

    python benchmarks/flow_vs_flowkit.py [--n 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from p53lab.flow import Logicle, Spillover, channel_values, quadrant_gate, read_fcs, write_fcs

CHANNELS = ["FSC-A", "FSC-H", "SSC-A", "FL1-A", "FL2-A", "FL3-A", "FL4-A", "FL5-A", "FL6-A", "Time"]
FLUORO = CHANNELS[3:9]
X, Y = "FL1-A", "FL2-A"
T, W, M, A = 262144.0, 0.5, 4.5, 0.0
X_THR, Y_THR = 0.55, 0.5


def make_file(folder: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    k = len(FLUORO)
    spill = np.eye(k)
    for i in range(k - 1):
        spill[i, i + 1] = rng.uniform(0.05, 0.25)
        spill[i + 1, i] = rng.uniform(0.0, 0.05)
    pos = rng.random((n, k)) < 0.35
    true = np.where(pos, rng.lognormal(np.log(2e4), 0.6, (n, k)), rng.lognormal(5.5, 0.5, (n, k)))
    obs = true @ spill + rng.normal(0, 40, (n, k))
    fsc = rng.normal(6e4, 9e3, n)
    events = np.column_stack([fsc, fsc / 1.2, rng.normal(3e4, 6e3, n), obs, np.arange(n) * 1e-3])
    return write_fcs(
        folder / "bench.fcs", events, CHANNELS, spillover=Spillover(tuple(FLUORO), spill)
    )


def flowkit_pipeline(path: Path) -> np.ndarray:
    import flowkit as fk

    s = fk.Sample(str(path))
    s.apply_compensation(s.metadata["spillover"])
    xf = fk.transforms.LogicleTransform(T, W, M, A)
    s.apply_transform({X: xf, Y: xf})
    ev = s.get_events(source="xform")
    xi, yi = s.get_channel_index(X), s.get_channel_index(Y)
    return (2 * (ev[:, xi] >= X_THR) + (ev[:, yi] >= Y_THR)).astype(np.int8)


def p53lab_pipeline(path: Path) -> np.ndarray:
    s = read_fcs(path)
    return quadrant_gate(
        s, X, Y, X_THR, Y_THR, spillover="file", transform=Logicle(T, W, M, A)
    ).codes


def p53lab_full_logicle(path: Path) -> np.ndarray:
    s = read_fcs(path)
    v = channel_values(s, [X, Y], "file")
    xf = Logicle(T, W, M, A)
    lx, ly = xf.apply(v[:, 0]), xf.apply(v[:, 1])
    return (2 * (lx >= X_THR) + (ly >= Y_THR)).astype(np.int8)


def best_of(fn, path: Path, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(path)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    import flowkit  # noqa: F401 - import cost is not part of the pipeline timing

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = make_file(Path(tmp), args.n, args.seed)
        size_mb = path.stat().st_size / 1e6
        print(
            f"wrote {args.n:,} events x {len(CHANNELS)} channels, FCS 3.1 with $SPILLOVER "
            f"({size_mb:.1f} MB) in {time.perf_counter() - t0:.2f} s"
        )
        t_fk, q_fk = best_of(flowkit_pipeline, path, args.repeat)
        t_us, q_us = best_of(p53lab_pipeline, path, args.repeat)
        t_full, q_full = best_of(p53lab_full_logicle, path, args.repeat)
    counts = np.bincount(q_us, minlength=4)
    print(f"quadrants (x-y-, x-y+, x+y-, x+y+): {counts.tolist()}")
    print(f"FlowKit  read+comp+logicle+gate: {t_fk:.3f} s (best of {args.repeat})")
    print(f"p53lab   read+comp+logicle+gate: {t_us:.3f} s  -> {t_fk / t_us:.1f}x faster")
    print(
        f"p53lab   same, logicle of every event in both channels: {t_full:.3f} s  "
        f"-> {t_fk / t_full:.1f}x faster"
    )
    print(
        f"event membership identical to FlowKit: {bool(np.array_equal(q_us, q_fk))} "
        f"(full-logicle path: {bool(np.array_equal(q_full, q_fk))})"
    )


if __name__ == "__main__":
    main()
