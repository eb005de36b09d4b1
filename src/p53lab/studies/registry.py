"""Studies: the guides' experiments written as YAML and runnable by name.

A study file is a YAML mapping with ``name``, ``kind`` and ``description`` plus the keys its
kind reads. The kind is the code that runs it; the file holds every choice (compounds, cells,
doses, times, noise), so a user copies a built-in study, edits it and runs the copy::

    p53lab study list
    p53lab study show western-time-course > my.yaml
    p53lab study run my.yaml --out runs/my --seed 3

Built-in studies are the YAML files in ``p53lab/studies/builtin/``. Kinds live in the modules
named in ``_KIND_MODULES``; each such module has a ``STUDY_KINDS`` mapping of kind name to
:class:`StudyKind`. A kind's ``run(fields, ctx)`` reads its keys through :class:`Fields` (so
that a wrong key, unit or value is reported with the file and the key), writes its files into
``ctx.out`` and returns the summary, which :func:`run_study` writes as ``summary.json``.
"""

from __future__ import annotations

import difflib
import importlib
import json
import math
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._jsonable import jsonable
from .._version import __version__
from .._yaml import load_yaml_file
from ..errors import CatalogError, FileFormatError, ParameterError

__all__ = [
    "Fields",
    "StudyContext",
    "StudyKind",
    "builtin_studies",
    "load_study",
    "run_study",
    "study_kinds",
]

BUILTIN_DIR = Path(__file__).with_name("builtin")

# Modules that define study kinds (a ``STUDY_KINDS`` mapping). A module not written yet is
# skipped, so the list can name planned modules.
_KIND_MODULES = (
    "p53lab.studies.western",
    "p53lab.studies.cellular",
    "p53lab.studies.resistance",
    "p53lab.invivo.studies",
)

_TOP_KEYS = ("name", "kind", "description")


@dataclass(frozen=True)
class StudyContext:
    """What a running study gets besides its fields."""

    out: Path
    seed: int
    label: str  # the study file (or built-in name) for messages
    progress: Callable[[str], None] = lambda msg: None


@dataclass(frozen=True)
class StudyKind:
    """A kind of study: ``run(fields, ctx) -> summary`` (a JSON-serialisable mapping)."""

    name: str
    summary: str
    run: Callable[[Fields, StudyContext], dict]


def study_kinds() -> dict[str, StudyKind]:
    kinds: dict[str, StudyKind] = {}
    for mod_name in _KIND_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name and (mod_name == exc.name or mod_name.startswith(exc.name + ".")):
                # a planned module (or its package) not written yet
                continue
            raise
        kinds.update(getattr(mod, "STUDY_KINDS", {}))
    return kinds


def builtin_studies() -> dict[str, Path]:
    """Built-in study name -> its YAML file."""
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yaml"))}


def load_study(name_or_file: str | Path) -> tuple[dict, str]:
    """The study mapping and its label. A built-in name wins over a file of the same name only
    when no such file exists."""
    p = Path(name_or_file)
    builtins = builtin_studies()
    if not p.exists() and str(name_or_file) in builtins:
        p, label = builtins[str(name_or_file)], str(name_or_file)
    elif not p.exists() and p.suffix.lower() not in (".yaml", ".yml"):
        close = difflib.get_close_matches(str(name_or_file), list(builtins), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ParameterError(
            f"{name_or_file!r}: no built-in study of that name and no such file.{hint} "
            "`p53lab study list` shows the built-in studies."
        )
    else:
        label = str(name_or_file)
    data = load_yaml_file(p, "study file")
    if not isinstance(data, Mapping):
        raise FileFormatError(
            f"{label}: a study is a YAML mapping with name, kind and description. "
            f"Got {type(data).__name__}."
        )
    return dict(data), label


def run_study(
    name_or_file: str | Path,
    out: str | Path | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict:
    """Run a built-in study or a study file; writes its files and ``summary.json`` in ``out``
    (default ``p53lab-out/studies/<name>``) and returns the summary."""
    data, label = load_study(name_or_file)
    data |= dict(overrides or {})
    f = Fields(data, label)
    name = f.text("name")
    kind_name = f.text("kind")
    f.text("description", default="")
    kinds = study_kinds()
    if kind_name not in kinds:
        raise f.error(
            "kind",
            f"unknown study kind {kind_name!r}.{_did_you_mean(kind_name, kinds)} "
            f"Known kinds: {', '.join(sorted(kinds))}.",
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ParameterError(f"seed {seed!r}: give a whole number >= 0.")
    out_dir = Path(out) if out is not None else Path("p53lab-out") / "studies" / name
    ctx = StudyContext(out=out_dir, seed=int(seed), label=label, progress=progress or _quiet)
    kind = kinds[kind_name]
    t0 = time.perf_counter()
    # By convention a kind reads and checks every field first (ending with ``fields.done()``)
    # and only then computes and writes: bad input never leaves half a study behind.
    summary = kind.run(f, ctx)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "study": name,
        "kind": kind_name,
        "seed": int(seed),
        **summary,
        "provenance": {
            "source": label,
            "spec": jsonable(data),
            "p53lab_version": __version__,
            "wall_s": round(time.perf_counter() - t0, 3),
        },
    }
    (out_dir / "summary.json").write_text(json.dumps(jsonable(record), indent=2) + "\n")
    return record


def _quiet(msg: str) -> None:
    pass


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(str(name), list(candidates), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(map(repr, close))}?" if close else ""


@dataclass
class Fields:
    """Typed, checked access to a study's keys. Every error names the file and the key path;
    :meth:`done` reports keys nobody read (a typo is an error, not a silent default)."""

    data: Mapping
    label: str
    prefix: str = ""
    _read: set = field(default_factory=set)

    # ------------------------------------------------------------------ basics
    def key(self, k: str) -> str:
        return f"{self.prefix}{k}"

    def error(self, k: str, msg: str, cls: type = ParameterError) -> Exception:
        return cls(f"{self.label}: {self.key(k)}: {msg}")

    def has(self, k: str) -> bool:
        return k in self.data

    def raw(self, k: str, default: Any = ...):
        self._read.add(k)
        if k in self.data:
            return self.data[k]
        if default is ...:
            raise ParameterError(f"{self.label}: the key {self.key(k)!r} is missing.")
        return default

    def done(self, extra_known: Sequence[str] = ()) -> None:
        """Raise on keys that were never read (with a did-you-mean)."""
        known = set(self._read) | set(extra_known) | ({*_TOP_KEYS} if not self.prefix else set())
        for k in self.data:
            if k not in known:
                raise self.error(
                    str(k),
                    f"unknown key.{_did_you_mean(str(k), known)} This part accepts "
                    f"{', '.join(sorted(known))}.",
                )

    # ------------------------------------------------------------------ typed readers
    def number(
        self,
        k: str,
        default: Any = ...,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        unit: str = "",
    ) -> float:
        v = self.raw(k, default)
        return self._number(k, v, minimum, maximum, exclusive_minimum, unit)

    def _number(self, k, v, minimum, maximum, exclusive_minimum, unit) -> float:
        u = f" {unit}" if unit else ""
        if isinstance(v, str) and unit:
            raise self.error(k, f"give a number in {unit} (no unit text). Got {v!r}.")
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise self.error(k, f"give a finite number{u}. Got {v!r}.")
        v = float(v)
        if minimum is not None and (v <= minimum if exclusive_minimum else v < minimum):
            rel = ">" if exclusive_minimum else ">="
            raise self.error(k, f"give a number {rel} {minimum:g}{u}. Got {v:g}.")
        if maximum is not None and v > maximum:
            raise self.error(k, f"give a number <= {maximum:g}{u}. Got {v:g}.")
        return v

    def numbers(
        self,
        k: str,
        default: Any = ...,
        *,
        minimum: float | None = None,
        exclusive_minimum: bool = False,
        unit: str = "",
        min_len: int = 1,
    ) -> list[float]:
        v = self.raw(k, default)
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            v = [v]
        if not isinstance(v, list | tuple) or len(v) < min_len:
            raise self.error(k, f"give a list of at least {min_len} number(s). Got {v!r}.")
        return [
            self._number(f"{k}[{i}]", x, minimum, None, exclusive_minimum, unit)
            for i, x in enumerate(v)
        ]

    def integer(self, k: str, default: Any = ..., *, minimum: int = 0) -> int:
        v = self.raw(k, default)
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
            raise self.error(k, f"give a whole number >= {minimum}. Got {v!r}.")
        return int(v)

    def boolean(self, k: str, default: Any = ...) -> bool:
        v = self.raw(k, default)
        if not isinstance(v, bool):
            raise self.error(k, f"give true or false. Got {v!r}.")
        return v

    def text(self, k: str, default: Any = ...) -> str:
        v = self.raw(k, default)
        if not isinstance(v, str) or (default is ... and not v.strip()):
            raise self.error(k, f"give a non-empty text. Got {v!r}.")
        return v

    def choice(self, k: str, options: Sequence[str], default: Any = ...) -> str:
        v = self.raw(k, default)
        if v not in options:
            raise self.error(
                k, f"{v!r} is not one of {', '.join(options)}.{_did_you_mean(str(v), options)}"
            )
        return v

    def compound(self, k: str, default: Any = ...):
        from ..catalog import compound

        v = self.raw(k, default)
        try:
            return compound(str(v))
        except CatalogError as exc:
            raise self.error(k, f"{exc} `p53lab catalog compounds` lists them.") from None

    def cell_line(self, k: str, default: Any = ...):
        from ..catalog import cell_line

        v = self.raw(k, default)
        try:
            return cell_line(str(v))
        except CatalogError as exc:
            raise self.error(k, f"{exc} `p53lab catalog cell-lines` lists them.") from None

    def sub(self, k: str, default: Any = ...) -> Fields:
        """A nested mapping, read with the same checks (keys reported as ``k.sub``)."""
        v = self.raw(k, default)
        if v is None:
            v = {}
        if not isinstance(v, Mapping):
            raise self.error(k, f"give a mapping (key: value lines). Got {v!r}.")
        return Fields(v, self.label, prefix=f"{self.key(k)}.")

    def items(self, k: str, default: Any = ...) -> list[Fields]:
        """A list of mappings (e.g. arms of a study)."""
        v = self.raw(k, default)
        if not isinstance(v, list) or not v:
            raise self.error(k, f"give a non-empty list of mappings. Got {v!r}.")
        out = []
        for i, item in enumerate(v):
            if not isinstance(item, Mapping):
                raise self.error(f"{k}[{i}]", f"give a mapping. Got {item!r}.")
            out.append(Fields(item, self.label, prefix=f"{self.key(k)}[{i}]."))
        return out
