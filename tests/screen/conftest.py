"""Shared paths for the screening tests."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCREEN_REF = HERE.parent / "reference" / "screen"


@pytest.fixture(scope="session")
def structures(shared_reference) -> Path:
    return shared_reference / "structures"


@pytest.fixture(scope="session")
def decoys() -> Path:
    return SCREEN_REF / "moses_decoys_300.csv"


@pytest.fixture(scope="session")
def dock_args(structures):
    """``p53lab screen dock`` of a library into 5ZXF (nutlin-3a box), one pose, JSON report,
    at the cheapest search; extra options are appended."""

    def build(lib, out, *extra: str) -> list[str]:
        return [
            "screen",
            "dock",
            str(lib),
            "--receptor",
            str(structures / "5ZXF_receptor_renumbered.pdb"),
            "--reference-ligand",
            str(structures / "5ZXF_nutlin3a.mol2"),
            "--exhaustiveness",
            "1",
            "--n-poses",
            "1",
            "--out",
            str(out),
            "--json",
            *extra,
        ]

    return build
