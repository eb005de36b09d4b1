"""The HTML pages: forms that post to the same operations as the JSON API and pages that show
their results. Every page is rendered on the server; the only script is static/p53lab.js."""

from __future__ import annotations

import hmac
import inspect
from typing import Annotated

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from ..errors import P53labError
from . import _services as svc
from ._analyses import ANALYSES, Analysis
from ._app import OBSERVATION_FIELDS, AdviceRequest, SimulateRequest, UserError, WesternRequest
from ._security import COOKIE, session_value

__all__ = ["pages_router"]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(x) for x in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
    )


def pages_router(app: FastAPI) -> APIRouter:
    ops, settings, jobs = app.state.ops, app.state.settings, app.state.jobs

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        return app.state.page(name, status, **ctx)

    r = APIRouter(include_in_schema=False)

    # ------------------------------------------------------------------ home and login
    @r.get("/")
    def index():
        return page(
            "index.html",
            analyses=list(ANALYSES.values()),
            advisor=svc.advisor_available(),
            screen=svc.screen_available(),
        )

    @r.get("/login")
    def login_form(next: str = "/"):
        return page("login.html", next=_local(next), error=None)

    @r.post("/login")
    def login(token: Annotated[str, Form(max_length=500)], next: Annotated[str, Form()] = "/"):
        if not settings.token:
            return _see_other(_local(next))
        if not hmac.compare_digest(token.encode(), settings.token.encode()):
            return page("login.html", 401, next=_local(next), error="That token is not right.")
        resp = _see_other(_local(next))
        resp.set_cookie(
            COOKIE, session_value(settings.token), httponly=True, samesite="strict", path="/"
        )
        return resp

    @r.get("/logout")
    def logout():
        resp = _see_other("/login" if settings.token else "/")
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # ------------------------------------------------------------------------ simulate
    @r.get("/simulate")
    def simulate(request: Request):
        q = dict(request.query_params)
        names = svc.catalog_names()
        form = {
            "compound": "KT-253",
            "cell_line": "reference",
            "conc_nM": "10",
            "hours": "24",
            "points": "97",
            "washout_h": "",
        } | q
        data, error = None, None
        if "compound" in q:
            try:
                req = SimulateRequest(**{k: v for k, v in q.items() if v != ""})
                data = svc.simulate_series(
                    req.compound,
                    req.cell_line,
                    req.conc_nM,
                    req.hours,
                    req.points,
                    req.washout_h,
                )
            except ValidationError as exc:
                error = _validation_text(exc)
            except P53labError as exc:
                error = str(exc)
        return page(
            "simulate.html",
            422 if error else 200,
            names=names,
            form=form,
            data=data,
            error=error,
            query=request.url.query,
        )

    @r.get("/simulate.csv")
    def simulate_csv(request: Request):
        q = {k: v for k, v in request.query_params.items() if v != ""}
        try:
            req = SimulateRequest(**q)
        except ValidationError as exc:
            raise UserError(422, _validation_text(exc)) from None
        data = svc.simulate_series(
            req.compound, req.cell_line, req.conc_nM, req.hours, req.points, req.washout_h
        )
        return Response(
            svc.simulation_csv(data),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="simulation.csv"'},
        )

    # ------------------------------------------------------------------------- analyse
    @r.get("/analyse")
    def analyse_index():
        return page("analyse_index.html", analyses=list(ANALYSES.values()))

    @r.get("/analyse/{slug}")
    def analyse_form(slug: str):
        a = ANALYSES.get(slug)
        if a is None:
            raise UserError(404, f"No analysis {slug!r}.")
        return page("analyse_form.html", a=a)

    for a in ANALYSES.values():
        r.add_api_route(f"/analyse/{a.slug}", _form_endpoint(a, ops), methods=["POST"])

    @r.get("/results/{rid}")
    def result(rid: str):
        meta = ops["load_result"](rid)
        tables = {}
        import pandas as pd

        for name in meta["tables"]:
            frame = pd.read_csv(app.state.workdir / "results" / rid / f"{name}.csv")
            tables[name] = frame.head(400).to_html(
                index=False, classes="data", border=0, na_rep="", float_format=lambda v: f"{v:.6g}"
            )
        return page("result.html", meta=meta, tables=tables, a=ANALYSES[meta["analysis"]])

    # ------------------------------------------------------------------ studies, jobs
    @r.get("/studies")
    def studies():
        return page(
            "studies.html",
            studies=svc.studies_list(),
            names=svc.catalog_names(),
            western=WesternRequest(),
        )

    @r.post("/studies/run")
    def study_run(
        name: Annotated[str, Form(max_length=100)],
        seed: Annotated[int, Form(ge=0, le=2**32 - 1)] = 0,
    ):
        return _see_other(f"/jobs/{ops['start_study'](name, seed).id}")

    @r.post("/western")
    def western(
        compounds: Annotated[list[str], Form()],
        cell_line: Annotated[str, Form(max_length=100)] = "RS4;11",
        times_h: Annotated[str, Form(max_length=100)] = "2,4,8,24",
        seed: Annotated[int, Form(ge=0, le=2**32 - 1)] = 0,
    ):
        try:
            times = [float(x) for x in times_h.split(",") if x.strip()]
            req = WesternRequest(compounds=compounds, cell_line=cell_line, times_h=times, seed=seed)
        except ValueError as exc:  # ValidationError is a ValueError
            text = (
                _validation_text(exc)
                if isinstance(exc, ValidationError)
                else (f"times {times_h!r}: give hours separated by commas, e.g. 2,4,8,24.")
            )
            raise UserError(422, text) from None
        return _see_other(f"/jobs/{ops['start_western'](req).id}")

    @r.get("/jobs")
    def jobs_page():
        return page("jobs.html", jobs=[j.to_dict() for j in jobs.list()])

    @r.get("/jobs/{job_id}")
    def job_page(job_id: str):
        j = ops["get_job"](job_id).to_dict()
        figures = [f for f in j["files"] if f.endswith((".svg", ".png"))]
        return page("job.html", job=j, figures=figures)

    @r.post("/jobs/{job_id}/cancel")
    def job_cancel(job_id: str):
        jobs.cancel(ops["get_job"](job_id))
        return _see_other(f"/jobs/{job_id}")

    # ---------------------------------------------------------------------- screening
    @r.get("/screen")
    def screen():
        profiles, default = svc.screen_profiles() if svc.screen_available() else ([], None)
        return page(
            "screen.html",
            available=svc.screen_available(),
            profiles=profiles,
            default=default or "lipinski",
        )

    @r.post("/screen")
    def screen_run(
        library: Annotated[UploadFile, File()],
        profile: Annotated[str, Form(max_length=64)] = "lipinski",
    ):
        return _see_other(f"/jobs/{ops['start_screen'](library, profile).id}")

    # ------------------------------------------------------------------------ advisor
    @r.get("/advisor")
    def advisor():
        return page(
            "advisor.html",
            available=svc.advisor_available(),
            fields=OBSERVATION_FIELDS,
            names=svc.catalog_names(),
            form={},
            ranked=None,
            error=None,
        )

    @r.post("/advisor")
    async def advisor_post(request: Request):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        names = svc.catalog_names()
        ctx = dict(fields=OBSERVATION_FIELDS, names=names, form=form, ranked=None, error=None)
        if not svc.advisor_available():
            return page("advisor.html", 404, available=False, **ctx)
        obs = {k: form[k] for k in OBSERVATION_FIELDS if form.get(k, "").strip()}
        top = {k: form[k] for k in ("compound", "cell_line", "tp53_status") if form.get(k)}
        try:
            req = AdviceRequest(**top, observations=obs)
        except ValidationError as exc:
            ctx["error"] = _validation_text(exc)
            return page("advisor.html", 422, available=True, **ctx)
        from starlette.concurrency import run_in_threadpool

        try:
            ctx["ranked"] = await run_in_threadpool(svc.advise, req.as_observations())
        except P53labError as exc:
            ctx["error"] = str(exc)
            return page("advisor.html", 400, available=True, **ctx)
        ctx["request"] = req.as_observations()
        return page("advisor.html", available=True, **ctx)

    # ------------------------------------------------------------------ results store
    @r.get("/runs")
    def runs():
        return page("runs.html", runs=svc.runs_list(settings.store), store=str(settings.store))

    @r.get("/runs/{run_id}")
    def run(run_id: str):
        return page("run.html", info=svc.run_show(settings.store, run_id))

    return r


def _local(url: str) -> str:
    """Only a path on this server (no scheme, no //host) is a place to go back to."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/"


def _form_endpoint(a: Analysis, ops):
    def endpoint(__a=a, **kwargs):
        meta = ops["run_analysis"](__a, kwargs)
        return _see_other(f"/results/{meta['id']}")

    endpoint.__signature__ = inspect.Signature(ops["analysis_params"](a))
    endpoint.__name__ = "form_" + a.slug.replace("-", "_")
    return endpoint
