"""The example spec in examples/sweeps runs as documented (needs the shared reference data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from p53lab.cli import main
from p53lab.io.store import ResultsStore
from p53lab.sweep import load_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sweeps" / "biomd252_kf.yaml"


@pytest.mark.slow
def test_the_biomd252_example_runs(shared_reference, tmp_path, capsys):
    spec = load_spec(EXAMPLE)
    expected = shared_reference / "sbml" / "BIOMD0000000252.xml"
    assert Path(spec.model_source.path).resolve() == expected.resolve()
    assert spec.n_members == 200 and spec.n_chunks == 8
    assert spec.varied == ("S", "k_f", "delta")
    store = tmp_path / "runs.duckdb"
    assert main(["sweep", str(EXAMPLE), "--store", str(store), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "complete" and report["members_ok"] == 200
    with ResultsStore(store, read_only=True) as s:
        params = s.parameters(report["run_id"]).to_pandas()
        summ = s.summaries(report["run_id"]).to_pandas()
    # k_f: lognormal with the model's value as median; Latin hypercube of 100 per stress level
    k_f = spec.model.value("k_f")
    assert np.median(params["k_f"]) == pytest.approx(k_f, rel=0.05)
    assert params["delta"].between(8, 14).all()
    assert (summ["p_auc"] > 0).all() and list(summ.columns) == [
        "member",
        "p_auc",
        "p_cmax",
        "p_time_above_50",
    ]
