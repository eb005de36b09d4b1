"""Sweep specs: member numbering, identity, and one clear error per kind of mistake."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml

from p53lab.errors import FileFormatError, ParameterError
from p53lab.simulate.sampling import lognormal_cv, sample
from p53lab.sweep import load_spec, parse_spec


def test_members_are_grid_by_schedules_by_samples(make_spec):
    spec = load_spec(make_spec())
    assert spec.n_members == 2 * 2 * 8 and spec.n_chunks == 6  # 32 members in chunks of 6
    assert spec.varied == ("u", "k", "w")
    d = spec.design()
    draws = sample(
        {"k": lognormal_cv(0.5, 0.3), "w": spec.distributions["w"]},
        8,
        seed=3,
        method="lhs",
        correlation={("k", "w"): 0.5},
    )
    for m, (g, s, k) in enumerate(itertools.product(range(2), range(2), range(8))):
        assert d.members[m] == m
        assert d.params["u"][m] == [0.0, 0.5][g]
        assert d.schedule_index[m] == s
        assert d.params["k"][m] == draws["k"][k]  # the same draw in every grid cell
        assert d.params["w"][m] == draws["w"][k]
    # the whole sample is drawn up-front: designs are identical bit for bit
    again = load_spec(make_spec("again.yaml")).design()
    assert all(np.array_equal(d.params[n], again.params[n]) for n in spec.varied)


def test_identity_ignores_layout_and_description_but_not_settings(make_spec, tmp_path, base_spec):
    spec = load_spec(make_spec())
    reordered = dict(reversed(list(base_spec.items())))
    path = tmp_path / "reordered.yaml"
    path.write_text(
        "# a comment\n" + yaml.safe_dump({**reordered, "description": "notes"}, sort_keys=False)
    )
    assert load_spec(path).run_id == spec.run_id
    assert len(spec.run_id) == 12 and spec.spec_hash.startswith(spec.run_id)
    for change in ({"seed": 4}, {"chunk_size": 7}, {"outputs": ["x", "y"]}, {"name": "other"}):
        assert load_spec(make_spec("changed.yaml", **change)).run_id != spec.run_id, change
    # the model enters by content, not by path
    (tmp_path / "moved").mkdir()
    (tmp_path / "moved" / "m.xml").write_text((tmp_path / "tiny.xml").read_text())
    assert load_spec(make_spec("moved.yaml", model="moved/m.xml")).run_id == spec.run_id


def test_other_model_forms_and_yaml12_numbers(tmp_path, tiny_model):
    path = tmp_path / "core.yaml"
    path.write_text(
        "name: core\nmodel: {core: true}\ntimes: [0, 1, 2]\noutputs: [p53]\n"
        "solver: {rtol: 1e-7, atol: 1e-10}\n"
    )
    spec = load_spec(path)
    assert spec.model.id == "p53lab_core" and spec.rtol == 1e-7 and spec.atol == 1e-10
    assert spec.n_members == 1 and spec.varied == ()
    spec = parse_spec(
        {
            "name": "obj",
            "model": tiny_model,
            "times": {"t_end": 1, "points": 3},
            "grid": {"k": [1, 2]},
        }
    )
    assert spec.model is tiny_model and spec.n_members == 2
    assert spec.outputs == ("x", "y", "a", "b")  # default: the model's species


def _error(make_spec, cls=ParameterError, **keys) -> str:
    path = make_spec("bad.yaml", **keys)
    with pytest.raises(cls) as info:
        load_spec(path)
    msg = str(info.value)
    assert msg.startswith(str(path)), msg
    return msg


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"paramters": {}}, ["paramters", "Did you mean 'parameters'"]),
        ({"parameters": {"kk": {"lognormal": {"cv": 0.3}}}}, ["parameters.kk", "'k'"]),
        ({"parameters": {"k": {"lognormal": {"cv": -0.3}}}}, ["parameters.k", "cv", ">= 0"]),
        ({"grid": {"u": 3}}, ["grid.u", "list"]),
        ({"grid": {"u": []}}, ["grid.u", "list"]),
        ({"grid": {"uu": [1, 2]}}, ["grid.uu", "'u'"]),
        ({"grid": {"k": [1, 2]}}, ["parameters.k", "also in grid"]),
        ({"model": "missing.xml"}, ["model", "missing.xml", "does not exist"]),
        ({"model": {"core": True, "compound": "nutlin-3a"}}, ["model", "core: true"]),
        ({"model": {"compound": "not-a-drug"}}, ["model", "not-a-drug"]),
        ({"samples": None}, ["samples", "number of members"]),
        ({"samples": -1}, ["samples", ">= 1"]),
        ({"times": [0, 2, 1]}, ["times", "increase"]),
        ({"times": {"t_end": 10, "step": 1}}, ["times.step", "unknown"]),
        ({"correlation": [["k", "u", 0.3]]}, ["correlation[0]", "'u' is not a sampled"]),
        ({"correlation": [["k", "w", 1.5]]}, ["correlation[0]", "between -1 and 1"]),
        ({"outputs": ["x", "q"]}, ["outputs[1]", "'q'"]),
        ({"summaries": [{"output": "a", "stat": "auc"}], "outputs": ["x"]}, ["summaries[0]"]),
        ({"summaries": [{"output": "x", "stat": "median"}]}, ["summaries[0]", "stat"]),
        ({"summaries": [{"output": "x", "stat": "auc", "t_end": 99}]}, ["summaries[0].t_end"]),
        (
            {"schedules": [{"name": "s", "changes": [{"t": 0, "target": "zz", "value": 1}]}]},
            ["schedules[0].changes[0].target", "'zz'"],
        ),
        ({"schedules": [{"name": "s"}, {"name": "s"}]}, ["schedules[1].name", "twice"]),
        ({"solver": {"rtol": -1}}, ["solver.rtol", "> 0"]),
        ({"solver": {"method": "euler"}}, ["solver.method"]),
        ({"chunk_size": 0}, ["chunk_size", ">= 1"]),
        ({"sampling": "sobol"}, ["sampling", "lhs"]),
        ({"name": ""}, ["name"]),
    ],
)
def test_spec_errors_name_the_file_and_the_key(make_spec, keys, expected):
    msg = _error(make_spec, **keys)
    for part in expected:
        assert part in msg, (part, msg)


def test_yaml_syntax_errors_give_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nmodel: tiny.xml\ntimes: [0, 1\nseed: 2\n")
    with pytest.raises(FileFormatError, match=r"broken\.yaml, line \d+, column \d+: invalid YAML"):
        load_spec(path)
    path.write_text("name: x\nseed: 1\nseed: 2\n")
    with pytest.raises(FileFormatError, match=r"line 3, column 1: .*'seed' appears twice"):
        load_spec(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(FileFormatError, match="YAML mapping"):
        load_spec(path)
    with pytest.raises(ParameterError, match="no such sweep spec"):
        load_spec(tmp_path / "absent.yaml")


def test_inconsistent_correlations_are_refused(make_spec):
    keys = {
        "parameters": {
            "k": {"uniform": [0.1, 1]},
            "w": {"uniform": [1, 2]},
            "g": {"uniform": [0, 0.01]},
        },
        "correlation": [["k", "w", 0.9], ["w", "g", 0.9], ["k", "g", -0.9]],
    }
    msg = _error(make_spec, **keys)
    assert "correlation" in msg and "positive definite" in msg
