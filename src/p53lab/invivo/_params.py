"""The in-vivo parameter file (``parameters.yaml``): values with their sources."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .._yaml import load_yaml_file
from ..errors import ParameterError

__all__ = ["PARAMETER_FILE", "assumed_inputs", "parameters", "value"]

PARAMETER_FILE = Path(__file__).with_name("parameters.yaml")


@lru_cache(maxsize=1)
def parameters() -> dict:
    """The whole parameter file as a mapping (read once)."""
    return load_yaml_file(PARAMETER_FILE, "in-vivo parameter file")


def _node(path: str) -> Any:
    node: Any = parameters()
    for part in path.split("/"):
        if not isinstance(node, dict) or part not in node:
            raise ParameterError(
                f"{PARAMETER_FILE.name}: no entry {path!r} (missing {part!r}). "
                f"Known here: {', '.join(map(str, node)) if isinstance(node, dict) else '-'}."
            )
        node = node[part]
    return node


def value(path: str) -> Any:
    """The value at ``path`` ('a/b/c'); entries are {value, source[, estimated]} mappings."""
    node = _node(path)
    return node["value"] if isinstance(node, dict) and "value" in node else node


def has(path: str) -> bool:
    try:
        _node(path)
    except ParameterError:
        return False
    return True


def assumed_inputs(prefix: str) -> list[dict]:
    """Every value under ``prefix`` as rows {parameter, value, source, estimated} (reports)."""
    rows: list[dict] = []

    def walk(node, path):
        if isinstance(node, dict) and "value" in node and "source" in node:
            rows.append(
                {
                    "parameter": path,
                    "value": node["value"],
                    "estimated": bool(node.get("estimated", False)),
                    "source": node["source"],
                }
            )
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}/{k}" if path else str(k))

    walk(_node(prefix), prefix)
    return rows
