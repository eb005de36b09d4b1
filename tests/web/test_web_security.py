"""The lab server's guards: loopback by default, token when exposed, upload limits, generated
file names, same-origin writes, no tracebacks, and a fuzzed API without server errors."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, settings

from p53lab.cli import main
from p53lab.web import Settings, is_loopback

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "s3cret-lab-token"


# ------------------------------------------------------------------------------ binding
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "lab.example.org"])
def test_serve_refuses_exposed_host_without_token(host, capsys, monkeypatch):
    monkeypatch.delenv("P53LAB_TOKEN", raising=False)
    assert main(["serve", "--host", host]) == 2
    err = capsys.readouterr().err
    assert "without an access token" in err and "--token" in err and "Traceback" not in err


def test_loopback_names():
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "example.org"]))
    assert Settings().host == "127.0.0.1"  # the default binds loopback only
    Settings(host="0.0.0.0", token=TOKEN)  # an exposed server with a token is allowed
    with pytest.raises(ValueError, match="at least 8 characters"):
        Settings(host="0.0.0.0", token="short")


# ------------------------------------------------------------------------------- tokens
def test_token_required_everywhere(make_app, shared_reference):
    with TestClient(make_app(host="0.0.0.0", token=TOKEN)) as c:
        r = c.get("/api/health")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert c.get("/openapi.json").status_code == 401
        page = c.get("/simulate?compound=KT-253", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        f = shared_reference / "dose_response" / "ryegrass.csv"
        up = c.post("/api/analyse/dose-response", files={"file": ("r.csv", f.read_bytes())})
        assert up.status_code == 401
        wrong = c.get("/api/health", headers={"Authorization": "Bearer wrong-token"})
        assert wrong.status_code == 401
        assert c.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert c.get("/api/health", headers={"X-P53lab-Token": TOKEN}).status_code == 200
        assert c.get("/login").status_code == 200  # the form that asks for the token
        bad = c.post("/login", data={"token": "nope-nope", "next": "/"}, follow_redirects=False)
        assert bad.status_code == 401 and "p53lab_session" not in bad.headers.get("set-cookie", "")
        ok = c.post("/login", data={"token": TOKEN, "next": "//evil.example/"},
                    follow_redirects=False)  # fmt: skip
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # never off-site
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        assert c.get("/simulate").status_code == 200  # the cookie is now sent
        assert c.get("/api/health").status_code == 200


# ------------------------------------------------------------------------------ uploads
def test_oversized_upload_is_413(make_app):
    with TestClient(make_app(max_upload_mb=0.01)) as c:  # 10 KiB
        big = b"conc,rootl\n" + b"1,2\n" * 10_000
        r = c.post(
            "/api/analyse/dose-response",
            files={"file": ("big.csv", big)},
            data={"dose_col": "conc", "response_col": "rootl"},
        )
        assert r.status_code == 413 and "limit" in r.json()["detail"]
        html = c.post("/analyse/dose-response", files={"file": ("big.csv", big)})
        assert html.status_code == 413 and html.headers["content-type"].startswith("text/html")

        def chunks():  # no Content-Length: the stream is counted as it arrives
            for _ in range(20):
                yield b"x" * 4096

        r = c.post("/api/simulate", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        small = c.post("/api/simulate", json={"compound": "KT-253", "conc_nM": 1, "hours": 1})
        assert small.status_code == 200


def test_path_traversal_name_is_harmless(make_app, shared_reference, tmp_path):
    app = make_app()
    work = app.state.workdir
    victim = tmp_path / "etc" / "passwd"
    before = set(p for p in tmp_path.rglob("*") if not p.is_relative_to(work))
    f = shared_reference / "dose_response" / "ryegrass.csv"
    with TestClient(app) as c:
        for name in ("../../etc/passwd", "..\\..\\etc\\passwd", "/etc/passwd", "a/../../b.csv"):
            r = c.post(
                "/api/analyse/dose-response",
                files={"file": (name, f.read_bytes())},
                data={"dose_col": "conc", "response_col": "rootl"},
            )
            assert r.status_code == 200, r.text
            shown = r.json()["inputs"]["file"]
            assert "/" not in shown and "\\" not in shown and ".." not in shown.replace("..", "", 0)
        page = c.get(f"/results/{r.json()['id']}")
        assert page.status_code == 200
    after = set(p for p in tmp_path.rglob("*") if not p.is_relative_to(work))
    assert after == before and not victim.exists()
    assert not any((work / "uploads").rglob("*.*"))  # uploads are removed after the analysis
    stored = [p.name for p in work.rglob("*") if p.is_file()]
    assert not any("passwd" in n for n in stored)  # the user's name never reaches the disk


def test_result_and_job_files_cannot_escape(client):
    assert client.get("/api/results/../../etc/passwd").status_code == 404
    assert client.get("/api/results/0123456789abcdef/..%2F..%2Fmeta.json").status_code == 404
    assert client.get("/api/jobs/0123456789abcdef/files/../../x").status_code == 404


# ------------------------------------------------------------------- origin, headers, errors
def test_cross_site_post_refused_and_headers_set(client):
    body = {"compound": "KT-253", "conc_nM": 1, "hours": 1}
    r = client.post("/api/simulate", json=body, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    ok = client.post("/api/simulate", json=body, headers={"Origin": "http://testserver"})
    assert ok.status_code == 200
    assert ok.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in ok.headers["content-security-policy"]


def test_host_header_checked_when_configured(make_app):
    with TestClient(make_app(allowed_hosts=("127.0.0.1", "localhost"))) as c:
        assert c.get("/api/health").status_code == 400  # Host: testserver (a rebinding name)
        assert c.get("/api/health", headers={"host": "localhost:8053"}).status_code == 200


def test_errors_are_pages_or_problems_never_tracebacks(client):
    page = client.get("/analyse/nothing-here")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = client.post("/api/analyse/dose-response", data={"dose_col": "x"})
    assert api.status_code == 422 and api.headers["content-type"] == "application/problem+json"
    form = client.post("/analyse/qpcr", files={"file": ("x.csv", b"\x00\xff\xfe garbage")},
                       data={"reference_gene": "G", "control_group": "c"})  # fmt: skip
    assert form.status_code in (400, 422) and "x.csv" in form.text
    for r in (page, api, form):
        assert "Traceback" not in r.text and 'File "' not in r.text


# -------------------------------------------------------------------------------- fuzzing
@pytest.mark.slow
def test_fuzzed_api_has_no_server_errors(make_app):
    """Schemathesis draws requests for every operation of /openapi.json (valid and invalid
    bodies, files of random bytes); none may end in a 5xx."""
    import schemathesis
    from hypothesis import Phase, given

    app = make_app(job_workers=1, max_queued_jobs=2)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, n_ops = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        n_ops += 1

        @given(case=op.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call()
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, response.text[:300]))

        call()
    assert n_ops >= 20  # every analysis, job, store and advisor operation was reached
    assert not failures, failures
