"""Xenografts: KT-253 single IV in RS4;11 and milademetan daily in SJSA-1, analysed from the
simulated caliper file by p53lab.assays.xenograft.

Calibration: only the kill ceiling kmax was set, from the KT-253 3 mg/kg sustained regression
(parameters.yaml); the 1 mg/kg response and the milademetan %TGI are predictions."""

import numpy as np
import pandas as pd
import pytest

from p53lab.assays import xenograft as tgi_assay
from p53lab.invivo.regimens import Regimen
from p53lab.invivo.xenograft import Group, kill_rate, run_xenograft, simeoni_volumes


def test_simeoni_untreated_growth_is_exponential_then_linear():
    t = np.array([0.0, 24.0, 2000.0, 2024.0])
    v = simeoni_volumes(np.array([10.0]), 0.01, 5.0, lambda t: 0.0, t)[:, 0]
    assert v[1] == pytest.approx(10.0 * np.exp(0.24), rel=1e-3)  # exponential phase
    assert v[3] - v[2] == pytest.approx(5.0 * 24, rel=1e-3)  # linear phase, lambda1


def test_kill_rate_mapping():
    assert kill_rate(0.0) == 0.0
    assert kill_rate(0.5, kmax=0.2, d50=0.5, hill=2) == pytest.approx(0.1)
    assert kill_rate(1e6, kmax=0.2) == pytest.approx(0.2, rel=1e-6)


@pytest.mark.slow
def test_kt253_single_iv_regression(tmp_path):
    groups = [
        Group("vehicle"),
        Group("1 mg/kg", Regimen(1, "mg/kg", "single", 1, route="iv")),
        Group("3 mg/kg", Regimen(3, "mg/kg", "single", 1, route="iv")),
    ]
    days = [0, 3, 7, 10, 14, 17, 21, 24]
    r = run_xenograft("KT-253", "RS4;11", groups, per_group=5, days=days, seed=3, out=tmp_path)
    # the analysis reads the caliper file written by the simulation
    table = tgi_assay.read_tumour_table(tmp_path / "calipers.csv")
    assert {"length_mm", "width_mm"} <= set(table.columns)
    curves = pd.DataFrame(list(r.tgi.curves)).pivot(
        index="day", columns="group", values="mean_volume_mm3"
    )
    base3 = curves.loc[0, "3 mg/kg"]
    assert (curves.loc[3:24, "3 mg/kg"] < base3).all()  # below baseline for >= 3 weeks
    assert r.group("3 mg/kg")["regressions"] + r.group("3 mg/kg")["complete_responses"] >= 3
    assert curves.loc[24, "1 mg/kg"] > 2 * curves.loc[24, "3 mg/kg"]  # 1 mg/kg weaker
    assert r.group("1 mg/kg")["tgi_pct"] < r.group("3 mg/kg")["tgi_pct"]


@pytest.mark.slow
def test_milademetan_daily_sjsa1_tgi(tmp_path):
    groups = [Group("vehicle"), Group("100 mg/kg qd", Regimen(100, "mg/kg", "qd", 21))]
    r = run_xenograft(
        "milademetan",
        "SJSA-1",
        groups,
        per_group=6,
        days=[0, 3, 7, 10, 14, 17, 21],
        seed=2,
        out=tmp_path,
    )
    direct = tgi_assay.fit(tgi_assay.read_tumour_table(tmp_path / "calipers.csv"), "vehicle")
    tgi = next(g["tgi_pct"] for g in direct.groups if g["group"] == "100 mg/kg qd")
    assert tgi == pytest.approx(r.group("100 mg/kg qd")["tgi_pct"])
    assert 50.0 < tgi < 100.0
    assert r.tgi.randomisation_ok
