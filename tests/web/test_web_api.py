"""The JSON API on small files: each analysis gives the known answer and exactly the JSON of
the matching command (`p53lab fit|flow|blot ... --json`), and simulations, Western jobs, studies
and the results store go through the same library calls as the command line."""

from __future__ import annotations

import json
from array import array
from pathlib import Path

import numpy as np
import pytest

from conftest import wait_job
from p53lab.cli import main

RYEGRASS_DRC = {"ed50": 3.05795, "ed50_lower": 2.67053, "ed50_upper": 3.44538}  # drc LL.4()


def cli_json(capsys, argv: list[str]):
    rc = main(argv)
    out = capsys.readouterr().out
    assert rc == 0, out
    return json.loads(out)


def post(client, slug: str, files: dict[str, Path | list[Path]], **data):
    parts = []
    for name, paths in files.items():
        for p in paths if isinstance(paths, list) else [paths]:
            parts.append((name, (p.name, p.read_bytes())))
    r = client.post(f"/api/analyse/{slug}", files=parts, data=data)
    assert r.status_code == 200, r.text
    page = client.get(f"/results/{r.json()['id']}")  # the result page renders every analysis
    assert page.status_code == 200 and 'id="result-json"' in page.text
    return r.json()


def same_as_cli(web, cli, *paths: Path):
    """The command names the file by its path, the web by the uploaded name."""
    text = json.dumps(cli)
    for p in paths:
        text = text.replace(json.dumps(str(p))[1:-1], p.name)
    assert web == json.loads(text)


# ----------------------------------------------------------------------- dose-response
def test_dose_response_ryegrass_matches_drc_and_cli(client, shared_reference, capsys):
    f = shared_reference / "dose_response" / "ryegrass.csv"
    d = post(client, "dose-response", {"file": f}, dose_col="conc", response_col="rootl")
    ed50 = d["result"]["ed"]["50"]
    # drc's LL.4 fit of ryegrass (reference/README.md): ED50 3.05795, CI 2.67053-3.44538
    assert ed50["estimate"] == pytest.approx(RYEGRASS_DRC["ed50"], rel=1e-5)
    assert ed50["lower"] == pytest.approx(RYEGRASS_DRC["ed50_lower"], rel=1e-4)
    assert ed50["upper"] == pytest.approx(RYEGRASS_DRC["ed50_upper"], rel=1e-4)
    argv = ["fit", "dose-response", str(f), "--dose-col", "conc", "--response-col", "rootl"]
    same_as_cli(d["result"], cli_json(capsys, [*argv, "--json"]), f)
    # downloads: the JSON file is the result; the CSV holds the ED rows; the figure is an SVG
    assert client.get(d["files"]["json"]).json() == d["result"]
    csv = client.get(d["files"]["parameters"]).text
    assert "ED50" in csv
    svg = client.get(d["files"]["figure"])
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_dose_response_bad_column_is_a_clear_400(client, tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("dose,resp\n1,2\n")
    r = client.post(
        "/api/analyse/dose-response",
        files={"file": ("mine.csv", p.read_bytes())},
        data={"dose_col": "conc", "response_col": "resp"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert "mine.csv" in r.json()["detail"] and "'conc'" in r.json()["detail"]


# ------------------------------------------------------------------------------- plates
def _plate_files(tmp_path, ic50_nM=100.0, hill=1.0):
    """A noise-free 96-well plate: vehicle column 1, positive column 12, one compound in
    columns 2-11 on a 1:3 dilution, planted on an LL.4 curve with the given IC50."""
    rows = "ABCDEFGH"
    conc_nM = np.geomspace(10_000, 10_000 / 3**9, 10)
    top, bottom = 40_000.0, 1_000.0
    layout = ["well,compound,concentration,unit,replicate,role"]
    grid = {}
    for i, r in enumerate(rows):
        layout.append(f"{r}1,,,,,vehicle")
        layout.append(f"{r}12,staurosporine,1,uM,,positive")
        grid[(i, 1)], grid[(i, 12)] = top, bottom
        for j, c in enumerate(conc_nM, start=2):
            layout.append(f"{r}{j},cpd-A,{c:.8g},nM,{i + 1},sample")
            grid[(i, j)] = bottom + (top - bottom) / (1 + (c / ic50_nM) ** hill)
    lines = ["," + ",".join(str(j) for j in range(1, 13))]
    for i, r in enumerate(rows):
        lines.append(r + "," + ",".join(f"{grid[(i, j)]:.6f}" for j in range(1, 13)))
    plate, lay = tmp_path / "plate1.csv", tmp_path / "layout.csv"
    plate.write_text("\n".join(lines) + "\n")
    lay.write_text("\n".join(layout) + "\n")
    return plate, lay


def test_plate_recovers_planted_ic50_and_matches_cli(client, tmp_path, capsys):
    plate, lay = _plate_files(tmp_path)
    d = post(client, "plate", {"plates": [plate], "layout": lay}, curves="true")
    (curve,) = d["result"]["curves"]
    assert curve["ed"]["50"]["estimate"] == pytest.approx(100.0, rel=1e-3)  # planted IC50
    assert d["result"]["plates"][0]["z_prime"] == pytest.approx(1.0)  # noise-free controls
    cli = cli_json(capsys, ["fit", "plate", str(plate), "--layout", str(lay), "--curves", "--json"])
    # the plate is named by its file stem in both; nothing else differs
    assert d["result"] == cli
    assert "figure" in d["files"]


# --------------------------------------------------------------------------------- flow
def test_flow_quadrants_gatingml_reference(client, shared_reference, capsys):
    f = shared_reference / "flow" / "data1.fcs"
    opts = dict(x="FL2-H", y="FL4-H", x_threshold="12.14748", y_threshold="14.22417")
    d = post(client, "flow-quadrants", {"file": f}, **opts)
    # GatingML 2.0 compliance data (reference/README.md): 5148, 238, 7361, 620
    assert d["result"]["quadrants"] == {"x-y-": 5148, "x-y+": 238, "x+y-": 7361, "x+y+": 620}
    argv = ["flow", "quadrants", str(f), "--x", "FL2-H", "--y", "FL4-H"]
    argv += ["--x-threshold", opts["x_threshold"], "--y-threshold", opts["y_threshold"], "--json"]
    assert d["result"] == cli_json(capsys, argv)


def _write_fcs(path, events, names):
    import flowio

    buf = array("f")
    buf.frombytes(np.ascontiguousarray(events, dtype=np.float32).tobytes())
    with open(path, "wb") as fh:
        flowio.create_fcs(fh, buf, list(names))
    return path


def test_flow_apoptosis_planted_quadrants(client, tmp_path, capsys):
    rng = np.random.default_rng(1)
    centres = {"live": (100, 100, 600), "early": (1e4, 100, 200), "late": (1e4, 1e4, 150),
               "necrotic": (100, 1e4, 50)}  # fmt: skip
    ev = np.vstack(
        [np.column_stack([a * rng.lognormal(0, 0.2, n), p * rng.lognormal(0, 0.2, n)])
         for a, p, n in centres.values()]
    )  # fmt: skip
    f = _write_fcs(tmp_path / "apo.fcs", ev, ["FITC-A", "PE-A"])
    opts = dict(annexin="FITC-A", pi="PE-A", annexin_threshold="1000", pi_threshold="1000")
    d = post(client, "flow-apoptosis", {"file": f}, **opts)
    r = d["result"]
    # log-normal spread 0.2 keeps every event a decade away from its threshold: exact fractions
    got = [r[k] for k in ("live_pct", "early_apoptotic_pct", "late_apoptotic_pct", "necrotic_pct")]
    assert got == pytest.approx([60.0, 20.0, 15.0, 5.0])
    argv = ["flow", "apoptosis", str(f), "--annexin", "FITC-A", "--pi", "PE-A"]
    argv += ["--annexin-threshold", "1000", "--pi-threshold", "1000", "--json"]
    same_as_cli(r, cli_json(capsys, argv), f)


def test_flow_cell_cycle_planted_fractions(client, tmp_path, capsys):
    rng = np.random.default_rng(2)
    # DNA content 1 (G1), 2 (G2/M) or uniform in (1, 2) (S), blurred by a 4 % CV: the
    # population the Watson model describes, as in tests/flow.
    content = np.concatenate([np.ones(6000), np.full(2000, 2.0), rng.uniform(1, 2, 2000)])
    area = content * 50_000 * (1 + 0.04 * rng.normal(size=content.size))
    f = _write_fcs(tmp_path / "dna.fcs", area[:, None], ["PI-A"])
    d = post(client, "flow-cell-cycle", {"file": f}, channel="PI-A")
    r = d["result"]
    assert r["g1_pct"] == pytest.approx(60.0, abs=3.0)  # planted 60/20/20; Watson model
    assert r["g2m_pct"] == pytest.approx(20.0, abs=3.0)
    assert r["g2_g1_ratio"] == pytest.approx(2.0, abs=0.03)
    same_as_cli(
        r, cli_json(capsys, ["flow", "cell-cycle", str(f), "--channel", "PI-A", "--json"]), f
    )


# --------------------------------------------------------------------------------- blot
def test_blot_image_planted_ratios(client, tmp_path, capsys):
    import tifffile

    ratios = np.array([1.0, 2.0, 0.5])  # target / loading control, relative to lane 1
    loading = np.array([1.0, 0.7, 1.3])  # unequal loading, removed by the loading control
    h, w, pitch = 160, 240, 80
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w), 500.0)
    for k in range(3):
        x0 = pitch * k + pitch / 2
        for y0, amp in ((50, 8000 * ratios[k] * loading[k]), (110, 6000 * loading[k])):
            img += amp * np.exp(-((xx - x0) ** 2) / (2 * 12**2) - ((yy - y0) ** 2) / (2 * 4**2))
    f = tmp_path / "blot.tif"
    tifffile.imwrite(f, img.astype(np.uint16))
    opts = dict(rows="p53,GAPDH", loading_control_row="GAPDH", invert="no", lanes="3")
    d = post(client, "blot", {"image": f}, **opts)
    got = [b["normalised"] for lane in d["result"]["lanes"] for b in lane["bands"] if b["row"] == 1]
    assert got == pytest.approx(ratios, rel=0.05)
    argv = ["blot", "quantify", str(f), "--rows", "p53,GAPDH", "--loading-control-row", "GAPDH"]
    same_as_cli(d["result"], cli_json(capsys, [*argv, "--no-invert", "--lanes", "3", "--json"]), f)


# ------------------------------------------------------------------ qPCR, ELISA, TGI, KM
def test_qpcr_livak_example(client, shared_reference, capsys):
    f = shared_reference / "qpcr" / "livak_cmyc_gapdh.csv"
    d = post(client, "qpcr", {"file": f}, reference_gene="GAPDH", control_group="control")
    row = d["result"]["rows"][0]
    # Livak & Schmittgen 2001: ddCt -2.50, fold 5.6 (range 5.3-6.0)
    assert round(row["delta_delta_ct"], 2) == -2.50 and round(row["fold_change"], 1) == 5.6
    argv = ["fit", "qpcr", str(f), "--reference-gene", "GAPDH", "--control-group", "control"]
    assert d["result"] == cli_json(capsys, [*argv, "--json"])


def test_elisa_5pl_weighted(client, shared_reference, tmp_path, capsys):
    ref = (shared_reference / "elisa" / "elisa_5pl_example.csv").read_text().splitlines()[1:]
    lines = ["sample,kind,conc,response", *(f"s{i},standard,{r}" for i, r in enumerate(ref))]
    lines += ["u1,unknown,,1.0", "b1,blank,,0.05", "b2,blank,,0.06"]
    f = tmp_path / "elisa.csv"
    f.write_text("\n".join(lines) + "\n")
    d = post(client, "elisa", {"file": f}, weighting="1/y2")
    assert d["result"]["C"] == pytest.approx(2.87, abs=0.01)  # reference/README.md, 1/y^2
    assert d["result"] == cli_json(
        capsys, ["fit", "elisa", str(f), "--weighting", "1/y2", "--json"]
    )


def test_tgi_no_growth_is_full_inhibition(client, tmp_path, capsys):
    f = tmp_path / "tum.csv"
    f.write_text(
        "animal,group,day,length_mm,width_mm\na,veh,0,6,5\nb,drug,0,5,6\na,veh,7,10,8\nb,drug,7,6,5\n"
    )
    d = post(client, "tgi", {"file": f}, vehicle_group="veh")
    drug = next(g for g in d["result"]["groups"] if g["group"] == "drug")
    assert drug["tgi_pct"] == pytest.approx(100.0)  # the drug arm did not grow at all
    assert d["result"] == cli_json(
        capsys, ["fit", "tgi", str(f), "--vehicle-group", "veh", "--json"]
    )


def test_survival_lung(client, shared_reference, capsys):
    f = shared_reference / "survival" / "lung.csv"
    d = post(client, "survival", {"file": f}, time_col="time", event_col="status")
    r = d["result"]
    # R survival, conf.type "log": median 310 (285-363)
    assert (r["median"], r["median_lower"], r["median_upper"]) == (310, 285, 363)
    g = post(client, "survival", {"file": f}, group_col="sex", ci="log-log")["result"]
    assert [x["median"] for x in g["groups"]] == [270, 426]
    assert g["logrank"]["chi2"] == pytest.approx(10.33, abs=0.005)
    argv = ["fit", "survival", str(f), "--time-col", "time", "--event-col", "status"]
    assert r == cli_json(capsys, [*argv, "--json"])


# --------------------------------------------------------------------- simulate, catalog
def test_simulate_equals_cli_csv(client, tmp_path):
    body = {"compound": "KT-253", "cell_line": "RS4;11", "conc_nM": 10, "hours": 24, "points": 25}
    r = client.post("/api/simulate", json=body)
    assert r.status_code == 200
    d = r.json()
    out = tmp_path / "sim.csv"
    argv = ["simulate", "--compound", "KT-253", "--cell-line", "RS4;11", "--conc-nM", "10"]
    assert main([*argv, "--hours", "24", "--points", "25", "--out", str(out)]) == 0
    import pandas as pd

    cli = pd.read_csv(out)
    assert d["time_h"] == pytest.approx(cli["time_h"].tolist())
    for col, values in d["series"].items():
        assert values == pytest.approx(cli[col].to_numpy(), rel=1e-9), col
    # the degrader removes MDM2 and stabilises p53 (DOMAIN.md 2: no MDM2 surge)
    assert d["series"]["mdm2_total_nM"][-1] < d["series"]["mdm2_total_nM"][0]
    assert d["series"]["p53_total_nM"][-1] > d["series"]["p53_total_nM"][0]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"compound": "no-such-drug", "conc_nM": 1, "hours": 1}, 400),
        ({"compound": "KT-253", "conc_nM": -1, "hours": 1}, 422),
        ({"compound": "KT-253", "conc_nM": 1, "hours": 0}, 422),
        ({"compound": "KT-253", "conc_nM": 1, "hours": 1, "extra": 1}, 422),
    ],
)
def test_simulate_bad_input_is_a_problem_object(client, body, status):
    r = client.post("/api/simulate", json=body)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status and r.json()["detail"]


def test_simulate_page_has_plot_data(client):
    r = client.get("/simulate", params={"compound": "KT-253", "conc_nM": 10, "hours": 24})
    assert r.status_code == 200 and 'id="sim-data"' in r.text and 'class="lineplot"' in r.text
    csv = client.get("/simulate.csv", params={"compound": "KT-253", "conc_nM": 10, "hours": 24})
    assert csv.text.startswith("time_h,")


# -------------------------------------------------------------------- western, studies
@pytest.mark.slow
def test_western_job_equals_library(client):
    from p53lab.studies.western import run_western

    body = {"compounds": ["KT-253"], "times_h": [24], "seed": 3}
    r = client.post("/api/western", json=body)
    assert r.status_code == 202
    job = wait_job(client, r.json())
    assert job["status"] == "done", job
    assert {"western_blot.svg", "western_blot.csv", "western_summary.csv"} <= set(job["files"])
    direct = run_western(["KT-253"], "RS4;11", [24], seed=3).summary()
    web = job["result"]["summary"]
    assert [row["MDM2"] for row in web] == pytest.approx(direct["MDM2"].tolist(), rel=1e-12)
    top = web[-1]  # 100 nM degrader at 24 h: MDM2 down, p53 up (DOMAIN.md 2)
    assert top["MDM2"] < 1 < top["p53"]
    svg = client.get(f"/api/jobs/{job['id']}/files/western_blot.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content


def test_western_unknown_compound_refused_before_queueing(client):
    r = client.post("/api/western", json={"compounds": ["aspirinx"]})
    assert r.status_code == 400 and "aspirinx" in r.json()["detail"]
    assert client.get("/api/jobs").json() == []


@pytest.mark.slow
def test_builtin_study_job_writes_summary(client):
    studies = client.get("/api/studies").json()
    assert "western-time-course" in [s["name"] for s in studies]
    r = client.post("/api/studies/western-time-course/run", json={"seed": 1})
    assert r.status_code == 202
    job = wait_job(client, r.json(), timeout_s=300)
    assert job["status"] == "done", job
    assert job["result"]["study"] == "western-time-course" and job["result"]["seed"] == 1
    summary = client.get(f"/api/jobs/{job['id']}/files/summary.json").json()
    assert summary["study"] == "western-time-course"
    assert any("western" in m for m in job["messages"])  # the study's own progress messages
    assert client.post("/api/studies/no-such-study/run").status_code == 404


# ------------------------------------------------------------------------ results store
def test_runs_browser_matches_cli(make_app, tmp_path, capsys):
    import yaml
    from fastapi.testclient import TestClient

    from p53lab.io import write_sbml
    from p53lab.model import Components, Model, Parameter, Reaction, Species

    decay = Model.build(
        "decay",
        Components(
            species=(Species("x", 1.0),),
            parameters=(Parameter("k", 0.5, "1/h"),),
            reactions=(Reaction("deg", "k*x", reactants=(("x", 1),)),),
        ),
    )
    (tmp_path / "decay.xml").write_text(write_sbml(decay))
    spec = {"name": "decay sweep", "model": "decay.xml", "times": {"t_end": 2, "points": 3},
            "samples": 4, "seed": 1, "parameters": {"k": {"uniform": [0.1, 1.0]}},
            "outputs": ["x"]}  # fmt: skip
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(spec))
    store = tmp_path / "runs.duckdb"
    assert main(["sweep", str(tmp_path / "sweep.yaml"), "--store", str(store)]) == 0
    capsys.readouterr()
    listed = cli_json(capsys, ["runs", "list", "--store", str(store), "--json"])
    with TestClient(make_app(store=store)) as c:
        web = c.get("/api/runs").json()
        assert [r["run_id"] for r in web] == [r["run_id"] for r in listed]
        shown = c.get(f"/api/runs/{web[0]['run_id'][:8]}").json()  # a unique prefix is enough
        assert shown == cli_json(capsys, ["runs", "show", web[0]["run_id"], "--store", str(store),
                                          "--json"])  # fmt: skip
        assert shown["members_done"] == 4
        page = c.get(f"/runs/{web[0]['run_id']}")
        assert page.status_code == 200 and "decay sweep" in page.text
        assert c.get("/api/runs/zzzz").status_code == 400


def test_runs_page_without_store(client):
    r = client.get("/runs")
    assert r.status_code == 200 and 'id="no-store"' in r.text
    assert client.get("/api/runs").json() == []
