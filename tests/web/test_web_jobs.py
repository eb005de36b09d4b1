"""Background jobs (progress, failure, cancellation, queue limit), the screening page and job,
and the advisor page with and without the advisor module."""

from __future__ import annotations

import sys
import threading
import time
import types

import pytest

from conftest import wait_job
from p53lab.errors import ParameterError
from p53lab.web import _services as svc
from p53lab.web._jobs import JobManager, TooManyJobs


def _wait(job, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while job.status not in ("done", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.02)
    return job


def test_job_progress_result_and_failure(tmp_path):
    jobs = JobManager(tmp_path, workers=2)
    try:

        def work(job):
            for i in range(3):
                job.progress(f"step {i + 1}/3")
            (job.folder / "out.txt").write_text("hello")
            return {"answer": 42}

        ok = _wait(jobs.submit("demo", "demo", work))
        assert ok.status == "done" and ok.result == {"answer": 42}
        assert ok.messages == ["step 1/3", "step 2/3", "step 3/3"] and ok.files() == ["out.txt"]

        def bad(job):
            raise ParameterError("The 'x' parameter of demo must be > 0. Got -1 instead.")

        failed = _wait(jobs.submit("demo", "bad", bad))
        assert failed.status == "failed" and "'x' parameter" in failed.error

        def crash(job):
            raise RuntimeError("boom")

        crashed = _wait(jobs.submit("demo", "crash", crash))
        assert crashed.status == "failed" and "RuntimeError" in crashed.error
    finally:
        jobs.shutdown()


def test_job_cancellation_and_queue_limit(tmp_path):
    jobs = JobManager(tmp_path, workers=1, max_queued=2)
    release = threading.Event()
    try:

        def slow(job):
            while True:
                job.progress("working")  # raises JobCancelled once cancelled
                release.wait(0.01)

        running = jobs.submit("demo", "slow", slow)
        queued = jobs.submit("demo", "queued", slow)
        with pytest.raises(TooManyJobs, match="limit is 2"):
            jobs.submit("demo", "one too many", slow)
        jobs.cancel(queued)  # never started
        assert queued.status == "cancelled" and queued.started is None
        jobs.cancel(running)
        assert _wait(running).status == "cancelled"
    finally:
        jobs.shutdown()


# ---------------------------------------------------------------------------- screening
def test_screen_page_says_when_package_missing(client, monkeypatch):
    monkeypatch.setattr(svc, "screen_available", lambda: False)
    r = client.get("/screen")
    assert r.status_code == 200 and 'id="screen-missing"' in r.text and "not installed" in r.text
    up = client.post("/api/screen/filter", files={"library": ("lib.smi", b"CCO ethanol\n")})
    assert up.status_code == 404 and "not installed" in up.json()["detail"]


def _fake_screen(monkeypatch, code: str):
    """Stand in for `p53lab screen filter` (being written) with a child process running code;
    it gets the same arguments."""
    monkeypatch.setattr(svc, "screen_available", lambda: True)

    def argv(library, profile, out):
        return [sys.executable, "-c", code, str(library), "--profile", profile, "--out", str(out)]

    monkeypatch.setattr(svc, "screen_filter_argv", argv)


def test_screen_job_runs_the_command_and_shows_its_json(client, monkeypatch):
    code = (
        "import json, sys, pathlib\n"
        "lib = pathlib.Path(sys.argv[1])\n"
        "print('read', len(lib.read_text().splitlines()), 'molecules', file=sys.stderr)\n"
        "print(json.dumps({'n_in': 2, 'library': lib.name, 'argv': sys.argv[2:]}))\n"
    )
    _fake_screen(monkeypatch, code)
    r = client.post(
        "/api/screen/filter",
        files={"library": ("../../my library.smi", b"CCO ethanol\nc1ccccc1 benzene\n")},
        data={"profile": "lipinski"},
    )
    assert r.status_code == 202
    job = wait_job(client, r.json())
    assert job["status"] == "done", job
    out = job["result"]["output"]
    assert out["n_in"] == 2 and out["library"] == "library.smi"  # a generated name
    assert out["argv"][:2] == ["--profile", "lipinski"] and out["argv"][3].endswith(
        "filtered.parquet"
    )
    assert "read 2 molecules" in job["messages"]  # stderr lines are the progress
    page = client.get(f"/jobs/{job['id']}")
    assert page.status_code == 200 and "n_in" in page.text


def test_screen_profile_cannot_be_an_option(client, monkeypatch):
    _fake_screen(monkeypatch, "print('{}')")
    r = client.post(
        "/api/screen/filter",
        files={"library": ("lib.smi", b"CCO\n")},
        data={"profile": "--out=/tmp/x"},
    )
    assert r.status_code == 422


def test_screen_job_can_be_cancelled(client, monkeypatch):
    _fake_screen(monkeypatch, "import time, sys\nprint('started', file=sys.stderr, flush=True)\n"
                 "time.sleep(60)\n")  # fmt: skip
    job = client.post("/api/screen/filter", files={"library": ("l.smi", b"C\n")}).json()
    deadline = time.monotonic() + 30
    while client.get(f"/api/jobs/{job['id']}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
    assert wait_job(client, job, timeout_s=30)["status"] == "cancelled"


def test_screen_command_failure_is_reported(client, monkeypatch):
    _fake_screen(monkeypatch, "import sys\nprint('p53lab: error: lib.smi: line 1: bad SMILES',"
                 " file=sys.stderr)\nsys.exit(2)\n")  # fmt: skip
    job = client.post("/api/screen/filter", files={"library": ("lib.smi", b"x\n")}).json()
    done = wait_job(client, job)
    assert done["status"] == "failed" and "bad SMILES" in done["error"]


# ------------------------------------------------------------------------------ advisor
def test_advisor_page_says_not_installed(client, monkeypatch):
    monkeypatch.setattr(svc, "_optional_module", lambda name: None)
    r = client.get("/advisor")
    assert r.status_code == 200 and "advisor not installed" in r.text
    api = client.post("/api/advise", json={"observations": {"p53_fold": 1.0}})
    assert api.status_code == 404 and "advisor not installed" in api.json()["detail"]


def test_advisor_form_passes_the_yaml_shape(client, monkeypatch):
    seen = {}

    def advise(observations):
        seen.update(observations)
        return [
            {"cause": "MDMX overexpression", "score": 0.8, "evidence": ["p53 up, p21 flat"],
             "next_experiments": ["MDMX western"]},
            {"cause": "TP53 mutation", "score": 0.3, "evidence": "no p21 induction",
             "next_experiments": []},
        ]  # fmt: skip

    fake = types.ModuleType("p53lab.advisor")
    fake.advise = advise
    monkeypatch.setitem(sys.modules, "p53lab.advisor", fake)
    form = {"compound": "nutlin-3a", "cell_line": "SJSA-1", "tp53_status": "wild_type",
            "p53_fold": "4", "p21_fold": "1.1", "efflux_inhibitor_reverses": "false",
            "apoptosis_pct": "", "hours": "24"}  # fmt: skip
    r = client.post("/advisor", data=form)
    assert r.status_code == 200
    assert seen == {
        "compound": "nutlin-3a",
        "cell_line": "SJSA-1",
        "tp53_status": "wild_type",
        "observations": {"p53_fold": 4.0, "p21_fold": 1.1, "efflux_inhibitor_reverses": False,
                         "hours": 24.0},
    }  # fmt: skip
    assert r.text.index("MDMX overexpression") < r.text.index("TP53 mutation")
    bad = client.post("/advisor", data={"p53_fold": "-2"})
    assert bad.status_code == 422 and "p53_fold" in bad.text
    api = client.post("/api/advise", json={"tp53_status": "mutant", "observations": {}})
    assert api.status_code == 200 and api.json()[0]["cause"] == "MDMX overexpression"
