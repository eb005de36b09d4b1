"""Quadrant gates against the GatingML 2.0 compliance truth; singlet gate; density valley."""

from __future__ import annotations

import math

import numpy as np
import pytest

from p53lab.errors import ParameterError
from p53lab.flow import (
    QUADRANTS,
    Logicle,
    QuadrantResult,
    SingletGate,
    density_valley,
    quadrant_gate,
    read_fcs,
)

# GatingML 2.0 compliance test: quadrant gate on FL2-H (12.14748) x FL4-H (14.22417),
# no compensation, no transform (../shared/reference/README.md, flow/).
DATA1_COUNTS = {"x-y-": 5148, "x-y+": 238, "x+y-": 7361, "x+y+": 620}
TRUTH_FILES = {
    "x-y-": "Results_FL2N-FL4N.txt",
    "x-y+": "Results_FL2N-FL4P.txt",
    "x+y-": "Results_FL2P-FL4N.txt",
    "x+y+": "Results_FL2P-FL4P.txt",
}


def truth_labels(data1) -> np.ndarray:
    """One quadrant name per event from the four 0/1 truth files."""
    flags = {q: np.loadtxt(data1.parent / "truth" / f, dtype=int) for q, f in TRUTH_FILES.items()}
    stack = np.column_stack([flags[q] for q in QUADRANTS])
    assert np.all(stack.sum(axis=1) == 1)  # every event in exactly one quadrant
    return np.array(QUADRANTS)[stack.argmax(axis=1)]


def test_data1_quadrants_match_gatingml_truth(data1):
    s = read_fcs(data1)
    res = quadrant_gate(s, "FL2-H", "FL4-H", 12.14748, 14.22417)
    assert res.quadrants == DATA1_COUNTS and res.n_events == 13367
    np.testing.assert_array_equal(res.labels(), truth_labels(data1))
    # $PnS names give the same gate
    res2 = quadrant_gate(s, "CD8 B PE", "CD8 APC", 12.14748, 14.22417)
    np.testing.assert_array_equal(res2.codes, res.codes)


def test_quadrant_result_serialises_counts_not_events(data1, tmp_path):
    res = quadrant_gate(read_fcs(data1), "FL2-H", "FL4-H", 12.14748, 14.22417)
    d = res.to_dict()
    assert "codes" not in d and d["quadrants"] == DATA1_COUNTS
    assert math.isclose(sum(d["percent"].values()), 100.0)
    back = QuadrantResult.load(res.save(tmp_path / "q.json"))
    assert back.quadrants == DATA1_COUNTS and back.codes is None
    with pytest.raises(ParameterError, match="no per-event codes"):
        back.labels()


def test_quadrant_gate_on_logicle_scale_equals_flowkit(tmp_path, flowsim):
    """Compensation from $SPILLOVER + logicle + quadrant: same membership as FlowKit's events
    transformed in full and gated with numpy."""
    import flowkit

    rng = np.random.default_rng(11)
    path, _ = flowsim.write_apoptosis_fcs(
        tmp_path / "a.fcs", rng, 20000, dict(live=0.5, early=0.2, late=0.2, necrotic=0.1)
    )
    xf = Logicle(262144, 0.5, 4.5, 0)
    res = quadrant_gate(read_fcs(path), "FITC-A", "PE-A", 0.55, 0.5, spillover="file", transform=xf)
    fk = flowkit.Sample(str(path))
    fk.apply_compensation(fk.metadata["spillover"])
    t = flowkit.transforms.LogicleTransform(262144, 0.5, 4.5, 0)
    fk.apply_transform({"FITC-A": t, "PE-A": t})
    ev = fk.get_events(source="xform")
    expected = 2 * (ev[:, 3] >= 0.55) + (ev[:, 4] >= 0.5)
    np.testing.assert_array_equal(res.codes, expected)
    assert res.x_transform == xf.describe() and res.compensation == "file"


def test_quadrant_gate_rejects_bad_thresholds(data1):
    s = read_fcs(data1)
    with pytest.raises(ParameterError, match="'x_threshold' parameter of quadrant_gate"):
        quadrant_gate(s, "FL2-H", "FL4-H", float("nan"), 1.0)


def test_singlet_gate_removes_doublets(tmp_path, flowsim):
    rng = np.random.default_rng(5)
    ev, singlet, _ = flowsim.simulate_dna(rng, n=20000, doublets=0.1)
    path = flowsim.write_float_fcs(tmp_path / "dna.fcs", ev, flowsim.DNA_CHANNELS)
    s = read_fcs(path)
    for gate in (SingletGate("PI-A", width="PI-W"), SingletGate("PI-A", height="PI-H")):
        r = gate.apply(s)
        assert np.mean(r.mask[singlet]) > 0.97  # singlets kept
        assert np.mean(r.mask[~singlet]) < 0.05  # doublets removed
        assert r.n_singlets == int(r.mask.sum()) and "mask" not in r.to_dict()
    r = SingletGate("PI-A", height="PI-H", ratio_range=(0.5, 1.2)).apply(s)
    assert (r.lower, r.upper) == (0.5, 1.2)
    with pytest.raises(ParameterError, match="exactly one of 'height'"):
        SingletGate("PI-A")


def test_quadrant_gate_with_singlet_mask(data1):
    s = read_fcs(data1)
    mask = np.zeros(s.n_events, dtype=bool)
    mask[:100] = True
    res = quadrant_gate(s, "FL2-H", "FL4-H", 12.14748, 14.22417, mask=mask)
    assert res.n_events == 100 and res.n_excluded == s.n_events - 100
    assert set(res.labels()[100:]) == {""}


def test_density_valley():
    rng = np.random.default_rng(0)
    v = np.concatenate(
        [rng.lognormal(np.log(300), 0.3, 5000), rng.lognormal(np.log(3e4), 0.3, 3000)]
    )
    thr = density_valley(v, Logicle())
    assert 1500 < thr < 8000  # between the populations (each 0.3 log-SD wide)
    with pytest.raises(ParameterError, match="1 clear peak"):
        density_valley(rng.lognormal(5, 0.3, 5000), Logicle(), where="one peak")
