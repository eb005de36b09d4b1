"""Sweep specifications: a YAML file, validated once, as a frozen :class:`SweepSpec`.

A spec names a model, output times, the parameters to vary and how::

    name: k_f sensitivity
    model: ../shared/reference/sbml/BIOMD0000000252.xml  # relative to this file; or
                                  # {core: true}, or {compound: nutlin-3a, cell_line: SJSA-1}
    times: {t_end: 48, points: 49}                     # or a list of times
    samples: 1000                                      # members drawn from the distributions
    seed: 1
    sampling: lhs                                      # random (default) | lhs
    parameters:                                        # see p53lab.simulate.sampling
      k_f: {lognormal: {cv: 0.3}}                      # median = the model's value
      delta: {uniform: [8, 14]}
    correlation: [[k_f, delta, 0.4]]                   # on the normal scores
    grid: {S: [0.5, 1, 2]}                             # full factorial, crossed with samples
    schedules:                                         # crossed too
      - {name: drug-1uM, changes: [{t: 0, target: drug_medium_nM, value: 1000}]}
    outputs: [p, mm]                                   # default: the model's species
    summaries: [{output: p, stat: auc}]                # see p53lab.simulate.summary
    chunk_size: 250                                    # members per task and per commit
    solver: {rtol: 1e-6, atol: 1e-9, method: auto}

**Members** are numbered grid × schedules × samples, samples fastest: member
``m = (g · n_schedules + s) · samples + k`` for grid point ``g`` (``itertools.product`` order
of the grid's keys, the last fastest), schedule ``s`` and draw ``k``. The draws are made
up-front from ``seed`` (:meth:`SweepSpec.design`), so how members are chunked, which executor
runs them and whether a run is resumed never change a member's values.

**Run identity** is the SHA-256 of :meth:`SweepSpec.normalised`: every setting that changes
the results (plus the name) in one canonical form — distributions resolved against the model,
the SBML file by the hash of its content (not its path), the model's fingerprint, explicit
output times. Reformatting the YAML, reordering its top-level keys, moving the files or
editing ``description`` keeps the identity; any other change makes a new run.

Every problem raises :class:`~p53lab.errors.FileFormatError` (the file cannot be read as YAML,
with line and column) or :class:`~p53lab.errors.ParameterError`, whose message starts with the
file and the key (``sweep.yaml: parameters.k_ff: ...``).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import itertools
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._yaml import load_yaml_file
from ..errors import FileFormatError, P53labError, ParameterError
from ..model import Model
from ..simulate import Change, Schedule, compile_model, default_outputs
from ..simulate.sampling import METHODS as SAMPLING_METHODS
from ..simulate.sampling import Distribution, parse_distribution, sample
from ..simulate.summary import SummarySpec

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "TOP_LEVEL_KEYS",
    "ModelSource",
    "SweepDesign",
    "SweepSpec",
    "load_spec",
    "parse_spec",
]

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "model",
    "times",
    "samples",
    "seed",
    "sampling",
    "parameters",
    "correlation",
    "grid",
    "schedules",
    "outputs",
    "summaries",
    "chunk_size",
    "solver",
)
DEFAULT_CHUNK_SIZE = 250
DEFAULT_POINTS = 101
SOLVER_METHODS = ("auto", "batch", "serial")
_MODEL_KEYS = ("sbml", "core", "compound", "cell_line")
_CHANGE_KEYS = ("t", "target", "value", "mode", "label")


# ------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class ModelSource:
    """How to (re)build a sweep's model, in this process or on a worker.

    ``kind`` is ``"sbml"`` (``sbml`` holds the XML text itself, so workers need no shared
    file system), ``"core"`` (:func:`p53lab.model.core.core_model`), ``"cell"``
    (:func:`p53lab.model.cells.cell_model` of ``compound`` and ``cell_line``) or ``"object"``
    (a :class:`Model` given from Python, shipped as is). ``path`` records where SBML came from.
    """

    kind: str
    sbml: str | None = field(default=None, repr=False)
    path: str | None = None
    compound: str | None = None
    cell_line: str | None = None
    model: Model | None = field(default=None, repr=False)

    def build(self) -> Model:
        """The model; each call builds it anew (workers cache it, see the runner)."""
        if self.kind == "sbml":
            from ..io.sbml import read_sbml

            return read_sbml(self.sbml)
        if self.kind == "core":
            from ..model.core import core_model

            return core_model()
        if self.kind == "cell":
            from ..model.cells import cell_model

            return cell_model(self.compound, self.cell_line)
        if self.kind == "object" and isinstance(self.model, Model):
            return self.model
        raise ParameterError(f"ModelSource: unknown kind {self.kind!r}.")

    @property
    def key(self) -> str:
        """A short digest naming this recipe (the per-process model cache's key)."""
        if self.kind == "sbml":
            body = "sbml:" + hashlib.sha256((self.sbml or "").encode()).hexdigest()
        elif self.kind == "object" and self.model is not None:
            body = "object:" + self.model.fingerprint()
        else:
            body = f"{self.kind}:{self.compound}:{self.cell_line}"
        return hashlib.sha256(body.encode()).hexdigest()[:32]

    def to_dict(self) -> dict:
        """The recipe's identity, without any path."""
        if self.kind == "sbml":
            return {"sbml_sha256": hashlib.sha256((self.sbml or "").encode()).hexdigest()}
        if self.kind == "cell":
            return {"compound": self.compound, "cell_line": self.cell_line}
        return {self.kind: True}


# ------------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class SweepDesign:
    """Every member's inputs, drawn up-front: ``params[name][m]`` and ``schedule_index[m]``."""

    members: np.ndarray
    params: dict[str, np.ndarray]
    schedule_index: np.ndarray | None


@dataclass(frozen=True, eq=False)
class SweepSpec:
    """A validated sweep. Build it with :func:`load_spec` (YAML) or :func:`parse_spec`."""

    name: str
    model_source: ModelSource
    model: Model = field(repr=False)
    times: np.ndarray = field(repr=False)
    outputs: tuple[str, ...]
    samples: int = 1
    seed: int = 0
    sampling: str = "random"
    distributions: dict[str, Distribution] = field(default_factory=dict)
    correlation: dict[tuple[str, str], float] = field(default_factory=dict)
    grid: dict[str, tuple[float, ...]] = field(default_factory=dict)
    schedules: tuple[tuple[str, Schedule], ...] | None = None
    summaries: tuple[SummarySpec, ...] = ()
    chunk_size: int = DEFAULT_CHUNK_SIZE
    method: str = "auto"
    rtol: float = 1e-6
    atol: float = 1e-9
    description: str = ""
    source: str | None = None

    # ---------------------------------------------------------------- sizes
    @property
    def n_grid(self) -> int:
        """Grid points: the product of the grid's list lengths (1 without a grid)."""
        return math.prod(len(v) for v in self.grid.values())

    @property
    def n_schedules(self) -> int:
        """Schedules crossed with the grid (1 without schedules)."""
        return 1 if self.schedules is None else len(self.schedules)

    @property
    def n_samples(self) -> int:
        """Draws per grid point and schedule (1 without distributions)."""
        return self.samples if self.distributions else 1

    @property
    def n_members(self) -> int:
        """Members of the sweep: grid points × schedules × draws."""
        return self.n_grid * self.n_schedules * self.n_samples

    @property
    def n_chunks(self) -> int:
        """Chunks of ``chunk_size`` members (the last may be shorter)."""
        return -(-self.n_members // self.chunk_size)

    @property
    def varied(self) -> tuple[str, ...]:
        """Names with a value per member: the grid's, then the sampled ones."""
        return (*self.grid, *self.distributions)

    @property
    def schedule_names(self) -> tuple[str, ...] | None:
        """The schedules' names in spec order, or None without schedules."""
        return None if self.schedules is None else tuple(n for n, _ in self.schedules)

    def chunk_bounds(self, chunk: int) -> tuple[int, int]:
        """Members ``[lo, hi)`` of chunk number ``chunk``."""
        lo = chunk * self.chunk_size
        return lo, min(lo + self.chunk_size, self.n_members)

    # ---------------------------------------------------------------- identity
    def normalised(self) -> dict:
        """Canonical JSON-able form of everything that defines the results, plus the name."""
        sched = None
        if self.schedules is not None:
            sched = [{"name": n, "changes": s.to_list()} for n, s in self.schedules]
        return {
            "name": self.name,
            "model": {
                **self.model_source.to_dict(),
                "id": self.model.id,
                "fingerprint": self.model.fingerprint(),
            },
            "times": [float(t) for t in self.times],
            "outputs": list(self.outputs),
            "samples": self.n_samples if self.distributions else 0,
            "seed": self.seed,
            "sampling": self.sampling,
            "parameters": [[k, d.to_dict()] for k, d in self.distributions.items()],
            "correlation": [[a, b, r] for (a, b), r in self.correlation.items()],
            "grid": [[k, list(v)] for k, v in self.grid.items()],
            "schedules": sched,
            "summaries": [s.to_dict() for s in self.summaries],
            "chunk_size": self.chunk_size,
            "solver": {"method": self.method, "rtol": self.rtol, "atol": self.atol},
        }

    @functools.cached_property
    def spec_hash(self) -> str:
        """SHA-256 of the normalised spec (hex)."""
        text = json.dumps(self.normalised(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def run_id(self) -> str:
        """The run's id in a store: the first 12 hex digits of :attr:`spec_hash`."""
        return self.spec_hash[:12]

    def record(self) -> dict:
        """What a store keeps as the run's spec: the normalised form, description and source."""
        return {
            **self.normalised(),
            "description": self.description,
            "source": {"spec": self.source, "model_file": self.model_source.path},
        }

    # ---------------------------------------------------------------- members
    def design(self) -> SweepDesign:
        """Every member's values, drawn once from ``seed`` (see the module docstring)."""
        n_s, n_k = self.n_schedules, self.n_samples
        m = np.arange(self.n_members, dtype=np.int64)
        g, s, k = m // (n_s * n_k), (m // n_k) % n_s, m % n_k
        params: dict[str, np.ndarray] = {}
        if self.grid:
            combos = np.array(list(itertools.product(*self.grid.values())), dtype=float)
            for j, name in enumerate(self.grid):
                params[name] = combos[g, j]
        if self.distributions:
            draws = sample(
                self.distributions,
                self.samples,
                seed=self.seed,
                method=self.sampling,
                correlation=self.correlation or None,
            )
            for name in self.distributions:
                params[name] = np.asarray(draws[name], dtype=float)[k]
        return SweepDesign(m, params, None if self.schedules is None else s)

    def __repr__(self) -> str:
        return (
            f"SweepSpec({self.name!r}: model {self.model.id!r}, {self.n_members} members in "
            f"{self.n_chunks} chunks, varied {list(self.varied)})"
        )


# ------------------------------------------------------------------------------- parsing
def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep YAML file; relative model paths are read from its folder."""
    data = load_yaml_file(path, "sweep spec file")
    return parse_spec(data, base_dir=Path(path).resolve().parent, where=str(path))


def parse_spec(
    data: Mapping, *, base_dir: str | Path = ".", where: str = "sweep spec"
) -> SweepSpec:
    """Validate a spec given as a mapping (the YAML's content). ``model`` may also be a
    :class:`Model`. ``where`` starts every error message."""
    return _Parser(where, Path(base_dir)).parse(data)


class _Parser:
    def __init__(self, label: str, base_dir: Path) -> None:
        self.label = label
        self.base_dir = base_dir

    def err(self, key: str, msg: str, cls: type[P53labError] = ParameterError) -> P53labError:
        return cls(f"{self.label}: {key}: {msg}")

    # ---------------------------------------------------------------- the whole file
    def parse(self, data) -> SweepSpec:
        if not isinstance(data, Mapping):
            raise FileFormatError(
                f"{self.label}: a sweep spec is a YAML mapping (keys such as name, model, "
                f"times, parameters). Got {type(data).__name__}."
            )
        unknown = [k for k in data if k not in TOP_LEVEL_KEYS]
        if unknown:
            k = unknown[0]
            raise self.err(
                str(k),
                f"unknown key.{_did_you_mean(str(k), TOP_LEVEL_KEYS)} A sweep spec accepts "
                f"{', '.join(TOP_LEVEL_KEYS)}.",
            )
        for required in ("name", "model", "times"):
            if required not in data:
                raise ParameterError(f"{self.label}: the key {required!r} is missing.")
        name = data["name"]
        if not isinstance(name, str) or not name.strip():
            raise self.err("name", f"give a non-empty text. Got {name!r}.")
        description = data.get("description", "") or ""
        if not isinstance(description, str):
            raise self.err("description", f"give a text. Got {description!r}.")

        source = self.model_source(data["model"])
        try:
            model = source.build()
        except P53labError as exc:  # an SBML file p53lab cannot read, ...
            raise self.err("model", str(exc), type(exc)) from None
        try:
            cm = compile_model(model)
        except P53labError as exc:
            raise self.err("model", f"the model does not compile: {exc}") from None
        self.cm = cm
        self.model = model

        times = self.times(data["times"])
        grid = self.grid(data.get("grid"))
        distributions = self.parameters(data.get("parameters"), grid)
        samples = self.samples(data, distributions)
        seed = self.integer("seed", data.get("seed", 0), minimum=0)
        sampling = data.get("sampling", "random")
        if sampling not in SAMPLING_METHODS:
            raise self.err("sampling", f"one of {', '.join(SAMPLING_METHODS)}. Got {sampling!r}.")
        correlation = self.correlation(data.get("correlation"), distributions)
        schedules = self.schedules(data.get("schedules"))
        outputs = self.outputs(data.get("outputs"))
        summaries = self.summaries(data.get("summaries"), outputs, times)
        chunk_size = self.integer(
            "chunk_size", data.get("chunk_size", DEFAULT_CHUNK_SIZE), minimum=1
        )
        method, rtol, atol = self.solver(data.get("solver"))
        spec = SweepSpec(
            name=name.strip(),
            model_source=source,
            model=model,
            times=times,
            outputs=outputs,
            samples=samples,
            seed=seed,
            sampling=sampling,
            distributions=distributions,
            correlation=correlation,
            grid=grid,
            schedules=schedules,
            summaries=summaries,
            chunk_size=chunk_size,
            method=method,
            rtol=rtol,
            atol=atol,
            description=description,
            source=self.label,
        )
        if distributions and correlation:
            try:  # the sampler checks that the correlations are consistent
                sample(distributions, 3, seed=0, method="random", correlation=correlation)
            except ParameterError as exc:
                raise self.err("correlation", str(exc).removeprefix("sample: ")) from None
        return spec

    # ---------------------------------------------------------------- pieces
    def model_source(self, value) -> ModelSource:
        if isinstance(value, Model):
            return ModelSource("object", model=value)
        if isinstance(value, str | Path):
            return self.sbml_source(value, "model")
        if not isinstance(value, Mapping):
            raise self.err(
                "model",
                "give an SBML file path, {core: true}, or {compound: NAME, cell_line: NAME}. "
                f"Got {value!r}.",
            )
        unknown = [k for k in value if k not in _MODEL_KEYS]
        if unknown:
            raise self.err(
                f"model.{unknown[0]}",
                f"unknown key.{_did_you_mean(str(unknown[0]), _MODEL_KEYS)} The model accepts "
                "sbml: PATH, core: true, or compound: NAME and/or cell_line: NAME.",
            )
        if "sbml" in value:
            if len(value) > 1:
                raise self.err("model", "sbml cannot be combined with other keys.")
            return self.sbml_source(value["sbml"], "model.sbml")
        if "core" in value:
            if value["core"] is not True or len(value) > 1:
                raise self.err(
                    "model",
                    "write {core: true} alone for the core circuit; for a drug in a "
                    "cell line give compound and cell_line instead.",
                )
            return ModelSource("core")
        compound, cell = value.get("compound"), value.get("cell_line")
        for key, v in (("compound", compound), ("cell_line", cell)):
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise self.err(f"model.{key}", f"give a catalog name. Got {v!r}.")
        if compound is None and cell is None:
            raise self.err("model", "give sbml, core, compound or cell_line.")
        from ..catalog import cell_line as find_cell_line
        from ..catalog import compound as find_compound

        try:
            compound = find_compound(compound).name if compound is not None else None
            cell = find_cell_line(cell).name if cell is not None else None
        except P53labError as exc:
            raise self.err("model", str(exc)) from None
        return ModelSource("cell", compound=compound, cell_line=cell)

    def sbml_source(self, value, key: str) -> ModelSource:
        if not isinstance(value, str | Path) or not str(value).strip():
            raise self.err(key, f"give the path of an SBML file. Got {value!r}.")
        path = Path(value)
        if not path.is_absolute():
            path = self.base_dir / path
        path = path.resolve()
        if not path.is_file():
            why = "is a folder" if path.is_dir() else "does not exist"
            raise self.err(
                key,
                f"the SBML file {str(value)!r} {why} (looked for {path}). Paths are relative "
                "to the spec file's folder.",
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise self.err(
                key, f"{path} is not a UTF-8 text (SBML) file.", FileFormatError
            ) from None
        return ModelSource("sbml", sbml=text, path=str(path))

    def times(self, value) -> np.ndarray:
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in ("t_end", "points")]
            if unknown:
                raise self.err(f"times.{unknown[0]}", "unknown key; write {t_end: H, points: N}.")
            if "t_end" not in value:
                raise self.err("times", "give t_end (and points), or a list of times.")
            t_end = self.number("times.t_end", value["t_end"])
            if t_end <= 0:
                raise self.err("times.t_end", f"must be > 0. Got {t_end!r}.")
            points = self.integer("times.points", value.get("points", DEFAULT_POINTS), minimum=2)
            return np.linspace(0.0, t_end, points)
        if isinstance(value, Sequence) and not isinstance(value, str):
            t = np.array([self.number(f"times[{i}]", v) for i, v in enumerate(value)])
            if t.size < 2:
                raise self.err("times", f"give at least 2 times. Got {t.size}.")
            if np.any(np.diff(t) <= 0):
                i = int(np.argmax(np.diff(t) <= 0))
                raise self.err(
                    "times",
                    f"must increase strictly; times[{i + 1}] = {t[i + 1]!r} follows {t[i]!r}.",
                )
            return t
        raise self.err("times", f"give {{t_end: H, points: N}} or a list of times. Got {value!r}.")

    def target(self, key: str, name) -> str:
        if not isinstance(name, str):
            raise self.err(key, f"give a parameter or species name. Got {name!r}.")
        try:
            self.cm.index(name)
        except P53labError:
            known = (*self.cm.param_ids, *self.cm.state_ids)
            raise self.err(
                key,
                f"the model {self.model.id!r} has no parameter or species {name!r}."
                f"{_did_you_mean(name, known)}",
            ) from None
        return name

    def base_value(self, name: str) -> float | None:
        for group, attr in (
            (self.model.parameters, "value"),
            (self.model.species, "initial"),
            (self.model.compartments, "size"),
        ):
            for item in group:
                if item.id == name:
                    return float(getattr(item, attr))
        return None

    def grid(self, value) -> dict[str, tuple[float, ...]]:
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not value:
            raise self.err("grid", f"give a mapping of names to lists of values. Got {value!r}.")
        out = {}
        for name, values in value.items():
            key = f"grid.{name}"
            self.target(key, name)
            if isinstance(values, str) or not isinstance(values, Sequence) or not values:
                raise self.err(key, f"give a non-empty list of values. Got {values!r}.")
            vals = tuple(self.number(f"{key}[{i}]", v) for i, v in enumerate(values))
            if len(set(vals)) != len(vals):
                raise self.err(key, f"a value appears twice in {list(vals)}.")
            out[name] = vals
        return out

    def parameters(self, value, grid) -> dict[str, Distribution]:
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not value:
            raise self.err(
                "parameters",
                f"give a mapping of names to distributions. Got {value!r}.",
            )
        out = {}
        for name, dist in value.items():
            key = f"parameters.{name}"
            self.target(key, name)
            if name in grid:
                raise self.err(key, f"{name!r} is also in grid; vary it in one place only.")
            out[name] = parse_distribution(dist, self.base_value(name), f"{self.label}: {key}")
        return out

    def samples(self, data, distributions) -> int:
        if not distributions:
            if "samples" in data:
                raise self.err(
                    "samples", "there are no parameters to draw; add parameters or drop samples."
                )
            return 1
        if "samples" not in data:
            raise self.err("samples", "give the number of members to draw (parameters are set).")
        return self.integer("samples", data["samples"], minimum=1)

    def correlation(self, value, distributions) -> dict[tuple[str, str], float]:
        if value is None:
            return {}
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.err("correlation", f"give a list of [name, name, rho]. Got {value!r}.")
        out: dict[tuple[str, str], float] = {}
        for i, item in enumerate(value):
            key = f"correlation[{i}]"
            if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 3:
                raise self.err(key, f"give [name, name, rho]. Got {item!r}.")
            a, b, rho = item
            for n in (a, b):
                if n not in distributions:
                    sampled = ", ".join(distributions) or "none"
                    raise self.err(key, f"{n!r} is not a sampled parameter (sampled: {sampled}).")
            if a == b:
                raise self.err(key, f"pairs {a!r} with itself.")
            r = self.number(key, rho)
            if not -1 < r < 1:
                raise self.err(key, f"rho must lie strictly between -1 and 1. Got {r!r}.")
            pair = (a, b) if list(distributions).index(a) < list(distributions).index(b) else (b, a)
            if pair in out:
                raise self.err(key, f"the pair {a!r}, {b!r} is given twice.")
            out[pair] = r
        return out

    def schedules(self, value) -> tuple[tuple[str, Schedule], ...] | None:
        if value is None:
            return None
        if isinstance(value, str) or not isinstance(value, Sequence) or not value:
            raise self.err(
                "schedules", f"give a list of {{name: ..., changes: [...]}}. Got {value!r}."
            )
        out, names = [], set()
        for i, item in enumerate(value):
            key = f"schedules[{i}]"
            if not isinstance(item, Mapping):
                raise self.err(key, f"give {{name: ..., changes: [...]}}. Got {item!r}.")
            unknown = [k for k in item if k not in ("name", "changes")]
            if unknown:
                raise self.err(f"{key}.{unknown[0]}", "unknown key; a schedule has name, changes.")
            name = item.get("name")
            if not isinstance(name, str) or not name.strip():
                raise self.err(f"{key}.name", f"give a non-empty name. Got {name!r}.")
            if name in names:
                raise self.err(f"{key}.name", f"the name {name!r} is used twice.")
            names.add(name)
            changes = item.get("changes", [])
            if isinstance(changes, str) or not isinstance(changes, Sequence):
                raise self.err(f"{key}.changes", f"give a list of changes. Got {changes!r}.")
            parsed = [self.change(f"{key}.changes[{j}]", c) for j, c in enumerate(changes)]
            out.append((name, Schedule(tuple(parsed))))
        return tuple(out)

    def change(self, key: str, c) -> Change:
        if not isinstance(c, Mapping):
            raise self.err(key, f"give {{t: H, target: NAME, value: X}}. Got {c!r}.")
        unknown = [k for k in c if k not in _CHANGE_KEYS]
        if unknown:
            raise self.err(
                f"{key}.{unknown[0]}",
                f"unknown key.{_did_you_mean(str(unknown[0]), _CHANGE_KEYS)} A change accepts "
                f"{', '.join(_CHANGE_KEYS)}.",
            )
        missing = [k for k in ("t", "target", "value") if k not in c]
        if missing:
            raise self.err(key, f"missing {', '.join(missing)}.")
        mode = c.get("mode", "set")
        if mode not in ("set", "add"):
            raise self.err(f"{key}.mode", f"'set' or 'add'. Got {mode!r}.")
        label = c.get("label", "")
        if not isinstance(label, str):
            raise self.err(f"{key}.label", f"give a text. Got {label!r}.")
        return Change(
            self.number(f"{key}.t", c["t"]),
            self.target(f"{key}.target", c["target"]),
            self.number(f"{key}.value", c["value"]),
            mode,
            label,
        )

    def outputs(self, value) -> tuple[str, ...]:
        if value is None:
            return tuple(default_outputs(self.model, self.cm))
        if isinstance(value, str) or not isinstance(value, Sequence) or not value:
            raise self.err("outputs", f"give a non-empty list of output names. Got {value!r}.")
        out = []
        for i, name in enumerate(value):
            if not isinstance(name, str) or name not in self.cm.output_ids:
                raise self.err(
                    f"outputs[{i}]",
                    f"the model {self.model.id!r} has no output {name!r}."
                    f"{_did_you_mean(str(name), self.cm.output_ids)}",
                )
            if name in out:
                raise self.err(f"outputs[{i}]", f"{name!r} is listed twice.")
            out.append(name)
        return tuple(out)

    def summaries(self, value, outputs, times) -> tuple[SummarySpec, ...]:
        if value is None:
            return ()
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.err("summaries", f"give a list of summaries. Got {value!r}.")
        out, names = [], set()
        for i, d in enumerate(value):
            key = f"summaries[{i}]"
            s = SummarySpec.from_dict(d, f"{self.label}: {key}")
            if s.output not in outputs:
                raise self.err(
                    f"{key}.output",
                    f"{s.output!r} is not among the outputs ({', '.join(outputs)}); add it "
                    "to outputs.",
                )
            lo, hi = float(times[0]), float(times[-1])
            for k in ("t_start", "t_end"):
                v = getattr(s, k)
                if v is not None and not lo <= v <= hi:
                    raise self.err(
                        f"{key}.{k}", f"{v!r} lies outside the simulated times [{lo:g}, {hi:g}]."
                    )
            if s.name in names:
                raise self.err(key, f"the summary {s.name!r} is listed twice.")
            names.add(s.name)
            out.append(s)
        return tuple(out)

    def solver(self, value) -> tuple[str, float, float]:
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise self.err("solver", f"give {{rtol: .., atol: .., method: ..}}. Got {value!r}.")
        unknown = [k for k in value if k not in ("rtol", "atol", "method")]
        if unknown:
            raise self.err(
                f"solver.{unknown[0]}", "unknown key; the solver accepts rtol, atol, method."
            )
        method = value.get("method", "auto")
        if method not in SOLVER_METHODS:
            raise self.err("solver.method", f"one of {', '.join(SOLVER_METHODS)}. Got {method!r}.")
        tol = {}
        for k, default in (("rtol", 1e-6), ("atol", 1e-9)):
            v = self.number(f"solver.{k}", value.get(k, default))
            if v <= 0:
                raise self.err(f"solver.{k}", f"must be > 0. Got {v!r}.")
            tol[k] = v
        return method, tol["rtol"], tol["atol"]

    # ---------------------------------------------------------------- scalars
    def number(self, key: str, v) -> float:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise self.err(key, f"give a finite number. Got {v!r}.")
        return float(v)

    def integer(self, key: str, v, *, minimum: int) -> int:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
            raise self.err(key, f"give a whole number >= {minimum}. Got {v!r}.")
        return int(v)


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(map(repr, close))}?" if close else ""
