"""YAML as p53lab reads it: safe, YAML 1.2 numbers (``1e-6`` is a float), no duplicate keys,
and errors that name the file, the line and the column."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import FileFormatError, ParameterError

__all__ = ["SpecLoader", "load_yaml_file", "load_yaml_text"]


class SpecLoader(yaml.SafeLoader):
    """Safe YAML that reads ``1e-6`` as a number (YAML 1.2) and refuses duplicate keys."""


SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _mapping_without_duplicates(loader: SpecLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        except TypeError:  # an unhashable key; construct_mapping reports it
            pass
    return loader.construct_mapping(node, deep=deep)


SpecLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def load_yaml_text(text: str, label: str):
    """Parse YAML text; ``label`` (usually the file name) starts every error message."""
    try:
        return yaml.load(text, Loader=SpecLoader)  # SpecLoader derives from yaml.SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise FileFormatError(f"{label}{where}: invalid YAML: {what}.") from None
    except yaml.YAMLError as exc:
        raise FileFormatError(f"{label}: invalid YAML: {exc}.") from None


def load_yaml_file(path: str | Path, what: str = "YAML file"):
    """Read a YAML file with clear errors for a missing file, a folder or non-UTF-8 bytes."""
    p = Path(path)
    label = str(path)
    if not p.exists():
        raise ParameterError(f"{label}: no such {what}. Check the path.")
    if p.is_dir():
        raise ParameterError(f"{label} is a folder; give a {what} (.yaml).")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{label}: not a UTF-8 text file (byte {exc.start}); a {what} is YAML text."
        ) from None
    return load_yaml_text(text, label)
