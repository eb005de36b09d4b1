"""Ensemble simulation: ``p53lab sbml ensemble`` vs a libRoadRunner loop, one core (not a test).

For each model, M members (default 10,000) from 0 to 48 h with 49 output times:

* BIOMD0000000252 (Hunziker et al. 2010, p53-Mdm2 oscillations), ``k_f``, ``k_b`` and
  ``delta`` lognormal with CV 0.3;
* p53lab's core circuit exported to SBML as ``p53lab sbml export`` does (milademetan in
  SJSA-1, species at the untreated steady state, ``drug_medium_nM`` = 1000), ``k_p53_syn``,
  ``k_p53_deg0`` and the drug's off-rate ``koff_dm`` lognormal with CV 0.3.

Each side is timed as a whole command in a fresh subprocess (wall clock around it, so Python
start-up and imports count), with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``:

* p53lab: exactly ``p53lab sbml ensemble FILE.xml --t-end 48 --points 49 --samples M
  --vary P1,P2,P3 --cv 0.3 --seed S --out DIR`` (read SBML, compile, simulate with the batch
  engine, write ``trajectories.parquet`` and ``parameters.parquet``);
* libRoadRunner: a short script that imports roadrunner, loads the file, reads the members'
  parameter values from p53lab's ``DIR/parameters.parquet`` (so both sides run identical
  members; this read is inside its timed wall clock, measured separately: about 2 ms) and
  for each member does ``resetAll()``, sets the parameters, ``simulate(0, 48, 49)``; then it
  writes a trajectories Parquet with the same columns (``member, time, <species>``) through
  pyarrow. libRoadRunner's default integrator settings (CVODE, rtol 1e-6, atol 1e-12 in
  2.x) are used and printed; p53lab's defaults are rtol 1e-6, atol 1e-12 too.

Before timing, each side's imports are run once untimed so that neither pays for a cold OS
file cache. Prints wall seconds, members/s, the throughput ratio p53lab/libRoadRunner and the
agreement of the two outputs (max over members and species of max_t |ours - rr| / max_t |rr|),
then what the 20x target leaves: the peer's wall time / 20, less the import floor (a fresh
Python that imports only numpy, pyarrow.parquet and libsbml, which any Python command that
reads SBML and writes Parquet must), per member.
``--scaling`` also times p53lab alone at 1,000 / 3,000 / 10,000 members.

    python benchmarks/ensemble_vs_roadrunner.py [--members 10000] [--models both] [--quick]
        [--scaling]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
BIOMD_252 = REPO.parent / "shared" / "reference" / "sbml" / "BIOMD0000000252.xml"
T_END, POINTS, CV = 48.0, 49, 0.3
VARY = {"252": "k_f,k_b,delta", "core": "k_p53_syn,k_p53_deg0,koff_dm"}
SCALING = (1000, 3000, 10000)
ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# The libRoadRunner side, run as `python -c PEER model.xml parameters.parquet out.parquet T N`.
PEER = """
import sys, time, json
t_start = time.perf_counter()
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import roadrunner

pa.array(np.zeros(1))  # pyarrow imports pandas at its first numpy conversion: an import cost
model, params, out, t_end, points = sys.argv[1:6]
t_end, points = float(t_end), int(points)
t0 = time.perf_counter()
tab = pq.ParquetFile(params).read()  # pq.read_table would first import pyarrow.dataset
names = [c for c in tab.column_names if c not in ("member", "status", "message")]
members = tab.column("member").to_numpy()
values = np.column_stack([tab.column(n).to_numpy() for n in names])
t_read = time.perf_counter() - t0
t0 = time.perf_counter()
rr = roadrunner.RoadRunner(model)
t_load = time.perf_counter() - t0
integ = rr.getIntegrator()
settings = {k: integ.getValue(k) for k in integ.getSettings()}
species = [c.strip("[]") for c in rr.timeCourseSelections[1:]]
res = np.full((len(members), points, 1 + len(species)), np.nan)
failed, first_error = 0, ""
t0 = time.perf_counter()
for i in range(len(members)):
    rr.resetAll()
    for j, name in enumerate(names):
        rr.setValue(name, values[i, j])
    try:
        res[i] = rr.simulate(0, t_end, points)
    except RuntimeError as exc:
        failed += 1
        first_error = first_error or f"member {members[i]}: {exc}"
t_loop = time.perf_counter() - t0
t0 = time.perf_counter()
cols = {"member": pa.array(np.repeat(members, points)), "time": pa.array(res[:, :, 0].ravel())}
for k, name in enumerate(species):
    cols[name] = pa.array(np.ascontiguousarray(res[:, :, k + 1].ravel()))
pq.write_table(pa.table(cols), out)
t_write = time.perf_counter() - t0
print(json.dumps({
    "roadrunner": roadrunner.__version__, "integrator": integ.getName(), "settings": settings,
    "failed": failed, "first_error": first_error, "read_s": t_read, "load_s": t_load,
    "loop_s": t_loop, "write_s": t_write, "in_script_s": time.perf_counter() - t_start,
}, default=str))
"""


@dataclass
class Run:
    wall: float
    out: Path
    info: dict


def one_core_env() -> dict[str, str]:
    return {**os.environ, **ONE_CORE}


def ours_prefix() -> list[str]:
    """``python -m p53lab`` where the package has a ``__main__``, else ``python -m p53lab.cli``
    (the same ``main`` the ``p53lab`` console script calls)."""
    import importlib.util

    mod = "p53lab" if importlib.util.find_spec("p53lab.__main__") else "p53lab.cli"
    return [sys.executable, "-m", mod]


def timed(cmd: list[str], what: str, ok_codes=(0,)) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=one_core_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in ok_codes:
        sys.exit(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, proc


def run_ours(xml: Path, vary: str, members: int, seed: int, out: Path) -> Run:
    cmd = [
        *ours_prefix(), "sbml", "ensemble", str(xml), "--t-end", "48", "--points", str(POINTS),
        "--samples", str(members), "--vary", vary, "--cv", str(CV), "--seed", str(seed),
        "--out", str(out),
    ]  # fmt: skip
    # exit 1 = some members failed; the files are still written and the count is reported
    wall, proc = timed(cmd, "p53lab sbml ensemble", ok_codes=(0, 1))
    m = re.search(r"\((\d+) failed\).* in ([0-9.]+) s", proc.stderr)
    info = {"failed": int(m.group(1)), "simulate_s": float(m.group(2))} if m else {}
    return Run(wall, out, info)


def run_peer(xml: Path, params: Path, out: Path) -> Run:
    cmd = [sys.executable, "-c", PEER, str(xml), str(params), str(out), str(T_END), str(POINTS)]
    wall, proc = timed(cmd, "libRoadRunner loop")
    return Run(wall, out, json.loads(proc.stdout.strip().splitlines()[-1]))


# The least any Python command must import to read SBML and write Parquet.
FLOOR_IMPORTS = "numpy, pyarrow.parquet, libsbml"


@functools.cache
def import_floor(repeats: int = 3) -> float:
    """Median wall seconds of a fresh one-core Python that only imports FLOOR_IMPORTS: no
    ensemble command written in Python can finish faster than this. Measured once per run
    (it does not depend on the model)."""
    walls = [
        timed([sys.executable, "-c", f"import {FLOOR_IMPORTS}"], "import floor")[0]
        for _ in range(repeats)
    ]
    return float(np.median(walls))


def warm_imports() -> None:
    """Import each side's modules once, untimed, so the OS file cache is warm for both."""
    for code in (
        "import p53lab.cli, p53lab.cli._sbml, p53lab.io.sbml, p53lab.simulate._batch, "
        "pyarrow.parquet, tqdm",
        "import roadrunner, numpy, pyarrow.parquet",
    ):
        subprocess.run([sys.executable, "-c", code], env=one_core_env(), check=True)


def export_core(folder: Path) -> Path:
    """The core circuit as ``p53lab sbml export --compound milademetan --cell-line SJSA-1
    --conc-nM 1000`` writes it."""
    from p53lab.io.sbml import write_sbml
    from p53lab.model.cells import cell_model
    from p53lab.simulate import steady_state

    model = cell_model("milademetan", "SJSA-1")
    rest = steady_state(model)
    if rest.status != "ok":
        sys.exit(f"core circuit: untreated steady state not reached: {rest.message}")
    start = {s.id: rest[s.id] for s in model.species}
    model = model.with_params({**start, "drug_medium_nM": 1000.0})
    path = folder / "core_milademetan_SJSA1.xml"
    write_sbml(model, path)
    return path


def agreement(ours: Path, peer: Path) -> str:
    a, b = pq.read_table(ours), pq.read_table(peer)
    species = [c for c in b.column_names if c not in ("member", "time")]
    missing = sorted(set(species) ^ {c for c in a.column_names if c not in ("member", "time")})
    m = len(np.unique(b.column("member").to_numpy()))
    if not np.array_equal(a.column("member").to_numpy(), b.column("member").to_numpy()):
        return "member/row order differs between the two files; not compared"
    t_diff = np.max(np.abs(a.column("time").to_numpy() - b.column("time").to_numpy()))
    x = np.stack([a.column(s).to_numpy() for s in species], -1).reshape(m, POINTS, -1)
    y = np.stack([b.column(s).to_numpy() for s in species], -1).reshape(m, POINTS, -1)
    scale = np.max(np.abs(y), axis=1)  # (members, species)
    err = np.max(np.abs(x - y), axis=1)
    zero = scale == 0
    rel = np.where(zero, err, err / np.where(zero, 1.0, scale))  # all-zero species: absolute
    per_member = np.max(rel, axis=1)
    bad = ~np.isfinite(per_member)
    i, j = np.unravel_index(np.nanargmax(np.where(np.isfinite(rel), rel, -1.0)), rel.shape)
    out = (
        f"max {np.nanmax(per_member[~bad]):.2e} (member {i}, {species[j]}), "
        f"median over members {np.median(per_member[~bad]):.2e}, "
        f"members with max > 1e-3: {int(np.sum(per_member[~bad] > 1e-3))}, "
        f"> 1e-2: {int(np.sum(per_member[~bad] > 1e-2))}"
    )
    if bad.any():
        out += f"; {int(bad.sum())} member(s) not comparable (NaN: a failed member)"
    if int(zero.sum()):
        out += f"; {int(zero.sum())} (member, species) pairs all-zero in rr, absolute diff used"
    if t_diff > 0:
        out += f"; times differ by up to {t_diff:.1e}"
    if missing:
        out += f"; species not in both files: {missing}"
    return out


def bench_model(label: str, xml: Path, vary: str, members: int, seed: int, tmp: Path) -> Run:
    from p53lab.io.sbml import read_sbml

    n_species = len(read_sbml(xml).species)
    ours = run_ours(xml, vary, members, seed, tmp / f"{label}_ours_{members}")
    peer = run_peer(xml, ours.out / "parameters.parquet", tmp / f"{label}_rr.parquet")
    p = peer.info
    print(
        f"\n== {label}: {xml.name} ({n_species} species), {members:,} members, 0-48 h, "
        f"{POINTS} times, vary {vary} lognormal CV {CV}, seed {seed}"
    )
    print(
        f"libRoadRunner {p['roadrunner']} integrator {p['integrator']} (defaults): "
        + ", ".join(f"{k}={v}" for k, v in p["settings"].items())
    )
    sim = ours.info.get("simulate_s")
    print(
        f"p53lab sbml ensemble : {ours.wall:8.2f} s wall  {members / ours.wall:9.1f} members/s"
        f"   (of which simulate {sim} s by its own report; failed {ours.info.get('failed')})"
    )
    print(
        f"libRoadRunner loop   : {peer.wall:8.2f} s wall  {members / peer.wall:9.1f} members/s"
        f"   (load {p['load_s']:.2f} s, loop {p['loop_s']:.2f} s, write {p['write_s']:.2f} s, "
        f"read parameters {p['read_s'] * 1e3:.1f} ms; failed {p['failed']})"
    )
    if p["failed"]:
        print(f"  first libRoadRunner failure: {p['first_error']}")
    ratio = peer.wall / ours.wall  # (members / ours) / (members / peer)
    word = "faster" if ratio >= 1 else "slower"
    print(f"throughput p53lab / libRoadRunner: {ratio:.2f}× (p53lab {word})")
    budget, floor = peer.wall / 20, import_floor()
    per_member = (budget - floor) / members * 1e6
    print(
        f"20x target: whole command <= {budget:.2f} s; the import floor (a fresh python that "
        f"only imports {FLOOR_IMPORTS}) is {floor:.2f} s, leaving "
        + (
            f"{per_member:.1f} us per member for compile, simulate and write (the "
            f"libRoadRunner loop spends {p['loop_s'] / members * 1e6:.0f} us per member)"
            if per_member > 0
            else "nothing for compile, simulate and write"
        )
    )
    agree = agreement(ours.out / "trajectories.parquet", peer.out)
    print(f"agreement, max_t|ours - rr| / max_t|rr| over members and species: {agree}")
    return ours


def scaling(label: str, xml: Path, vary: str, seed: int, tmp: Path, done: Run, n_done: int):
    print(f"-- scaling, p53lab only ({label}); wall per command incl. start-up and imports")
    for m in SCALING:
        r = done if m == n_done else run_ours(xml, vary, m, seed, tmp / f"{label}_scale_{m}")
        note = " (the run above)" if m == n_done else ""
        print(
            f"  {m:6,} members: {r.wall:7.2f} s wall, {r.wall / m * 1e3:7.3f} ms/member, "
            f"simulate {r.info.get('simulate_s')} s = "
            f"{r.info.get('simulate_s', float('nan')) / m * 1e3:.3f} ms/member{note}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=10000)
    ap.add_argument("--models", choices=("252", "core", "both"), default="both")
    ap.add_argument("--quick", action="store_true", help="1,000 members")
    ap.add_argument("--scaling", action="store_true", help="also p53lab at 1k/3k/10k members")
    ap.add_argument("--seed", type=int, default=20240701)
    ap.add_argument("--biomd", type=Path, default=BIOMD_252, help="BIOMD0000000252.xml")
    args = ap.parse_args()
    members = 1000 if args.quick else args.members
    labels = ("252", "core") if args.models == "both" else (args.models,)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; each side one process with "
        + " ".join(f"{k}=1" for k in ONE_CORE)
        + f"; p53lab run as {' '.join(['python', *ours_prefix()[1:]])} sbml ensemble ..."
    )
    warm_imports()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        files = {"252": args.biomd, "core": export_core(tmp) if "core" in labels else None}
        for label in labels:
            ours = bench_model(label, files[label], VARY[label], members, args.seed, tmp)
            if args.scaling:
                scaling(label, files[label], VARY[label], args.seed, tmp, ours, members)


if __name__ == "__main__":
    main()
