"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """The public reference data (../shared/reference); the test is skipped when it is absent."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {SHARED_REFERENCE}")
    return SHARED_REFERENCE
