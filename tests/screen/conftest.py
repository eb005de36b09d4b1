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
