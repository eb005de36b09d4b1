"""The app factory: settings, guards, error pages and problem objects, and the JSON API.

Figures: the assay figures are the library's own matplotlib ``plot`` functions, rendered on the
server as SVG (no second plotting code to keep in step); the simulation time courses are drawn
in the browser by a small script of ours (static/p53lab.js), which adds what a static image
cannot: hover read-out of every series and switching series on and off. Both work offline: no
script or style comes from a CDN, and FastAPI's Swagger/ReDoc pages (which load from a CDN) are
switched off; the API description is at /openapi.json.
"""

from __future__ import annotations

import inspect
import json
import logging
import mimetypes
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from starlette.exceptions import HTTPException

from .._version import __version__
from ..assays import jsonable
from ..errors import P53labError
from . import _services as svc
from ._analyses import ANALYSES, Analysis
from ._jobs import JobManager, TooManyJobs
from ._security import Guard, Saved, is_api, problem_body, save_upload
from ._settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("p53lab.web")
HERE = Path(__file__).parent
_ID = re.compile(r"^[0-9a-f]{16,20}$")
TEXT_MAX = 200
NAV = (
    ("/simulate", "Simulate"),
    ("/analyse", "Analyse"),
    ("/studies", "Studies"),
    ("/screen", "Screening"),
    ("/advisor", "Advisor"),
    ("/jobs", "Jobs"),
    ("/runs", "Results store"),
)


# ------------------------------------------------------------------------------ helpers
class UserError(HTTPException):
    """A request the server understood but cannot carry out; the detail is for the user."""


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html", "xml")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    env.globals["nav"] = NAV
    env.filters["tojson_pretty"] = lambda x: json.dumps(x, indent=2, ensure_ascii=False)
    env.filters["num"] = lambda x: f"{x:.6g}" if isinstance(x, float) else ("" if x is None else x)
    return env


def _problem(status: int, detail: str, headers=None, **extra) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, **extra),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/problem+json",
    )


def _rename(obj: Any, saved: list[Saved]) -> Any:
    """Put the users' file names back where the library named our generated files."""
    if not saved:
        return obj
    if isinstance(obj, str):
        for s in saved:
            obj = obj.replace(str(s.path), s.display).replace(s.path.name, s.display)
            obj = obj.replace(s.path.stem, Path(s.display).stem)
        return obj
    if isinstance(obj, dict):
        return {k: _rename(v, saved) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename(v, saved) for v in obj]
    return obj


def _is_empty_upload(u) -> bool:
    return u is None or isinstance(u, str) or (not getattr(u, "filename", None) and not u.size)


# ------------------------------------------------------------------------------ API models
Finite = Annotated[float, PField(allow_inf_nan=False)]
Name = Annotated[str, PField(min_length=1, max_length=100)]


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    compound: Name = PField(description="catalog name or alias, e.g. KT-253, milademetan")
    cell_line: Name = "reference"
    conc_nM: float = PField(ge=0, le=1e6, allow_inf_nan=False, description="bath concentration")
    hours: float = PField(gt=0, le=1440, allow_inf_nan=False)
    points: int = PField(97, ge=2, le=2001)
    washout_h: float | None = PField(None, gt=0, le=1440, allow_inf_nan=False)


class WesternRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    compounds: list[Name] = PField(["KT-253", "milademetan"], min_length=1, max_length=4)
    cell_line: Name = "RS4;11"
    times_h: list[Annotated[float, PField(gt=0, le=168, allow_inf_nan=False)]] = PField(
        [2.0, 4.0, 8.0, 24.0], min_length=1, max_length=6
    )
    loading_cv: float = PField(0.1, ge=0, lt=1, allow_inf_nan=False)
    seed: int = PField(0, ge=0, le=2**32 - 1)


class StudyRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = PField(0, ge=0, le=2**32 - 1)


def _obs(lo: float | None = 0, hi: float | None = None):
    return PField(None, ge=lo, le=hi, allow_inf_nan=False)


class Observations(BaseModel):
    """What was seen; every field optional. Folds are treated/vehicle, except ``mdmx_fold``,
    ``bcl2_fold`` and ``mdm2_basal_fold`` (basal level relative to a responsive wild-type
    line); percentages 0-100."""

    model_config = ConfigDict(extra="forbid")
    p53_fold: float | None = _obs()
    mdm2_fold: float | None = _obs()
    p21_fold: float | None = _obs()
    apoptosis_pct: float | None = _obs(0, 100)
    g1_arrest_pct: float | None = _obs(0, 100)
    g2m_arrest_pct: float | None = _obs(0, 100)
    ic50_nM: float | None = _obs()
    ic50_fold_change_over_time: float | None = _obs()
    replicate_cv_pct: float | None = _obs()
    mdmx_fold: float | None = _obs()
    bcl2_fold: float | None = _obs()
    mdm2_basal_fold: float | None = _obs()
    efflux_inhibitor_reverses: bool | None = None
    hours: float | None = _obs()
    conc_nM: float | None = _obs()


OBSERVATION_FIELDS = tuple(Observations.model_fields)


class AdviceRequest(BaseModel):
    """The shape of the advisor's YAML file."""

    model_config = ConfigDict(extra="forbid")
    compound: Name | None = None
    cell_line: Name | None = None
    tp53_status: Literal["wild_type", "mutant", "null", "unknown"] = "unknown"
    observations: Observations = PField(default_factory=Observations)

    def as_observations(self) -> dict:
        d = self.model_dump(exclude_none=True)
        d["observations"] = self.observations.model_dump(exclude_none=True)
        return d


PROFILE = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$"  # never read as a command-line option


# ------------------------------------------------------------------------------ the app
def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app. Uploads, results and job folders go to ``settings.workdir`` (default: a
    private temporary folder, mode 0700)."""
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    settings = settings or Settings()
    workdir = settings.workdir or Path(tempfile.mkdtemp(prefix="p53lab-web-"))
    for sub in ("uploads", "results", "jobs"):
        (workdir / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    templates = _templates()
    jobs = JobManager(workdir / "jobs", settings.job_workers, settings.max_queued_jobs)

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("auth", bool(settings.token))
        return HTMLResponse(templates.get_template(name).render(**ctx), status_code=status)

    def render_error(path_or_scope, status: int, detail: str, headers=None) -> Any:
        path = path_or_scope["path"] if isinstance(path_or_scope, dict) else path_or_scope
        if is_api(path):
            return _problem(status, detail, headers)
        if status == 303:
            return HTMLResponse("", status_code=303, headers=dict(headers or {}))
        title = problem_body(status, "")["title"]
        return page("error.html", status, code=status, title=title, detail=detail, back=None)

    app = FastAPI(
        title="p53lab",
        version=__version__,
        description="The p53lab lab server: simulate the p53-MDM2-MDMX circuit and its drugs, "
        "analyse lab files, run studies and screening jobs, ask the troubleshooting advisor.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.workdir = workdir
    app.state.jobs = jobs
    app.state.page = page
    app.add_middleware(Guard, settings=settings, render_error=render_error)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.router.add_event_handler("shutdown", jobs.shutdown)
    if settings.workdir is None:  # our own temporary folder: removed when the server stops
        app.router.add_event_handler("shutdown", lambda: shutil.rmtree(workdir, ignore_errors=True))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return render_error(request.url.path, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [
            {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in errors)
        if is_api(request.url.path):
            return _problem(422, detail or "The request is not valid.", errors=errors)
        return render_error(request.url.path, 422, detail)

    @app.exception_handler(P53labError)
    async def p53lab_error(request: Request, exc: P53labError):
        status = 429 if isinstance(exc, TooManyJobs) else 400
        return render_error(request.url.path, status, str(exc))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return render_error(
            request.url.path,
            500,
            f"Internal error ({type(exc).__name__}). The server log has the details.",
        )

    # -------------------------------------------------------------- shared operations
    def run_analysis(a: Analysis, kwargs: dict) -> dict:
        folder = workdir / "uploads" / secrets.token_hex(8)
        saved: list[Saved] = []
        values: dict[str, Any] = {}
        try:
            for f in a.fields:
                x = kwargs.get(f.name)
                if f.kind == "file":
                    x = None if _is_empty_upload(x) else save_upload(x, folder)
                    if x is None and f.required:
                        raise UserError(422, f"{f.label}: choose a file.")
                    saved += [x] if x else []
                elif f.kind == "files":
                    x = [save_upload(u, folder) for u in (x or []) if not _is_empty_upload(u)]
                    if not x:
                        raise UserError(422, f"{f.label}: choose at least one file.")
                    saved += x
                elif f.kind == "text":
                    x = x.strip() if isinstance(x, str) and x.strip() else None
                    if x is None and f.required:
                        raise UserError(422, f"{f.label}: this field is required.")
                values[f.name] = x
            outcome = _call(a, values, saved)
            svg, fig_note = None, None
            if outcome.figure is not None:
                try:
                    svg = svc.render_svg(outcome.figure)
                except Exception as exc:  # the numbers stand without their figure
                    log.warning("figure of %s failed", a.slug, exc_info=True)
                    fig_note = f"The figure could not be drawn ({type(exc).__name__}: {exc})."
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rid = secrets.token_hex(8)
        out = workdir / "results" / rid
        out.mkdir(mode=0o700)
        result = _rename(jsonable(outcome.result), saved)
        (out / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        files = {"json": f"/api/results/{rid}/result.json"}
        for name, frame in outcome.tables.items():
            frame = frame.map(lambda v: _rename(v, saved) if isinstance(v, str) else v)
            frame.to_csv(out / f"{name}.csv", index=False, float_format="%.10g")
            files[name] = f"/api/results/{rid}/{name}.csv"
        if svg is not None:
            (out / "figure.svg").write_bytes(svg)
            files["figure"] = f"/api/results/{rid}/figure.svg"
        meta = {
            "id": rid,
            "analysis": a.slug,
            "title": a.title,
            "command": a.command,
            "status": outcome.status,
            "headline": _rename(jsonable([list(h) for h in outcome.headline]), saved),
            "notes": _rename(
                [str(n) for n in outcome.notes + ([fig_note] if fig_note else [])], saved
            ),
            "inputs": {
                k: (
                    v.display
                    if isinstance(v, Saved)
                    else [s.display for s in v]
                    if isinstance(v, list)
                    else v
                )
                for k, v in values.items()
            },
            "tables": list(outcome.tables),
            "files": files,
            "created": time.time(),
        }
        (out / "meta.json").write_text(json.dumps(jsonable(meta), indent=2) + "\n")
        return {**meta, "result": result}

    def _call(a: Analysis, values: dict, saved: list[Saved]):
        names = ", ".join(s.display for s in saved) or "the input"
        try:
            return a.run(values)
        except P53labError as exc:
            raise UserError(400, _rename(str(exc), saved)) from None
        except FileNotFoundError as exc:
            raise UserError(
                400, _rename(f"a file named in the input is missing: {exc}", saved)
            ) from None
        except (ValueError, LookupError, TypeError, ArithmeticError, OSError) as exc:
            # The reader or the fit met data it does not expect: tell the user which file,
            # keep the trace in the server log (a clearer library message is the real fix).
            log.warning("analysis %s could not use %s", a.slug, names, exc_info=True)
            msg = _rename(str(exc), saved) or type(exc).__name__
            raise UserError(
                422, f"p53lab could not analyse {names}: {msg}. Check the file and the options."
            ) from None

    def load_result(rid: str) -> dict:
        folder = workdir / "results" / rid
        if not _ID.match(rid) or not (folder / "meta.json").is_file():
            raise UserError(404, f"No result {rid!r} on this server.")
        meta = json.loads((folder / "meta.json").read_text())
        meta["result"] = json.loads((folder / "result.json").read_text())
        return meta

    def get_job(job_id: str):
        job = jobs.get(job_id) if _ID.match(job_id) else None
        if job is None:
            raise UserError(
                404, f"No job {job_id!r} on this server (jobs are kept until the server restarts)."
            )
        return job

    def start_western(req: WesternRequest):
        from ..catalog import cell_line, compound

        names = [compound(c).name for c in req.compounds]  # unknown names: 400 now, not later
        cell_line(req.cell_line)

        def work(job):
            from ..studies.western import plot_western, run_western

            job.progress(
                f"simulating {', '.join(names)} in {req.cell_line} "
                f"at {', '.join(f'{t:g}' for t in req.times_h)} h"
            )
            res = run_western(
                names, req.cell_line, req.times_h, loading_cv=req.loading_cv, seed=req.seed
            )
            job.progress("writing the blot table and figure")
            res.save(job.folder)
            (job.folder / "western_blot.svg").write_bytes(svc.render_svg(lambda: plot_western(res)))
            return jsonable(
                {"summary": res.summary().to_dict(orient="records"), "provenance": res.provenance}
            )

        return jobs.submit("western", f"Western blot: {', '.join(names)}", work)

    def start_study(name: str, seed: int):
        studies = {s["name"] for s in svc.studies_list()}
        if name not in studies:
            raise UserError(
                404, f"No built-in study {name!r}. Known: {', '.join(sorted(studies))}."
            )

        def work(job):
            from ..studies.registry import run_study

            return run_study(name, out=job.folder, seed=seed, progress=job.progress)

        return jobs.submit("study", f"Study {name} (seed {seed})", work)

    def start_screen(upload, profile: str):
        if not svc.screen_available():
            raise UserError(
                404, "The screening package (p53lab.screen) is not installed on this server."
            )
        if not re.match(PROFILE, profile or ""):
            raise UserError(422, f"profile {profile!r}: use letters, digits, '_', '.', '+', '-'.")
        if _is_empty_upload(upload):
            raise UserError(422, "library: choose a file (SMILES, SDF, CSV).")
        staged = save_upload(upload, workdir / "uploads" / secrets.token_hex(8))

        def work(job):
            lib = job.folder / f"library{staged.path.suffix}"
            shutil.move(staged.path, lib)
            shutil.rmtree(staged.path.parent, ignore_errors=True)
            job.progress(f"screen filter {staged.display} with profile {profile}")
            rc, stdout, stderr = job.run_process(
                svc.screen_filter_argv(lib, profile, job.folder / "filtered.parquet")
            )
            parsed = svc.parse_json_output(stdout)
            if rc == 2 or parsed is None:
                last = [ln for ln in stderr.splitlines() if ln.strip()][-3:]
                detail = " ".join(last) or f"exit code {rc}, no JSON on stdout"
                raise P53labError(_rename(f"screen filter failed: {detail}", [staged]))
            return {"exit_code": rc, "output": _rename(parsed, [staged])}

        return jobs.submit("screen", f"Screen filter: {staged.display} ({profile})", work)

    app.state.ops = {
        "run_analysis": run_analysis,
        "load_result": load_result,
        "get_job": get_job,
        "start_western": start_western,
        "start_study": start_study,
        "start_screen": start_screen,
        "analysis_params": _analysis_params,
    }

    app.include_router(_api_router(app))
    from ._pages import pages_router

    app.include_router(pages_router(app))
    return app


def _analysis_params(a: Analysis) -> list[inspect.Parameter]:
    """The analysis' fields as FastAPI parameters (documented in the OpenAPI description)."""
    params = []
    for f in a.fields:
        desc = f.label + (f". {f.help}" if f.help else "")
        if f.kind == "file":
            ann: Any = UploadFile if f.required else UploadFile | None
            default = File(... if f.required else None, description=desc)
        elif f.kind == "files":
            ann, default = list[UploadFile], File(..., description=desc)
        elif f.kind == "bool":
            ann, default = bool, Form(False, description=desc)
        else:
            base = {
                "choice": Literal[f.choices] if f.choices else str,
                "float": float,
                "int": int,
                "text": str,
            }[f.kind]
            extra: dict[str, Any] = {}
            if f.kind == "float":
                extra["allow_inf_nan"] = False
            if f.kind == "int":
                extra.update(ge=0, le=100_000)
            if f.kind == "text":
                extra["max_length"] = TEXT_MAX
            if f.default is not None:
                ann, default = base, Form(f.default, description=desc, **extra)
            elif f.required:
                ann, default = base, Form(..., description=desc, **extra)
            else:
                ann, default = base | None, Form(None, description=desc, **extra)
        params.append(
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=default
            )
        )
    return params


def _api_router(app: FastAPI) -> APIRouter:
    ops, settings, jobs = app.state.ops, app.state.settings, app.state.jobs
    api = APIRouter(prefix="/api", tags=["api"])
    problem = {"model": dict, "description": "a problem object (RFC 9457)"}
    errors = {400: problem, 404: problem, 413: problem, 422: problem}

    @api.get("/health")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    @api.get("/catalog")
    def catalog() -> dict:
        return svc.catalog_names()

    @api.post("/simulate", responses=errors)
    def simulate(req: SimulateRequest) -> dict:
        """``p53lab simulate``: outputs over time (nM) for one compound, concentration and line."""
        return svc.simulate_series(
            req.compound, req.cell_line, req.conc_nM, req.hours, req.points, req.washout_h
        )

    for a in ANALYSES.values():

        def endpoint(__a=a, **kwargs):
            return ops["run_analysis"](__a, kwargs)

        endpoint.__signature__ = inspect.Signature(_analysis_params(a))
        endpoint.__name__ = "analyse_" + a.slug.replace("-", "_")
        api.add_api_route(
            f"/analyse/{a.slug}",
            endpoint,
            methods=["POST"],
            summary=a.title,
            description=f"{a.summary} Same analysis and JSON (`result`) as `{a.command}`.",
            responses=errors,
        )

    @api.get("/results/{rid}/{name}", responses=errors)
    def result_file(rid: str, name: str):
        meta = ops["load_result"](rid)
        allowed = {"result.json", "meta.json"} | {f"{t}.csv" for t in meta["tables"]}
        if "figure" in meta["files"]:
            allowed.add("figure.svg")
        if name not in allowed:
            raise UserError(404, f"Result {rid} has no file {name!r}.")
        return _file(app.state.workdir / "results" / rid / name, f"{meta['analysis']}-{name}")

    @api.get("/studies")
    def studies() -> list[dict]:
        return svc.studies_list()

    @api.post("/studies/{name}/run", status_code=202, responses=errors)
    def run_study(name: str, req: StudyRunRequest | None = None) -> dict:
        return ops["start_study"](name, (req or StudyRunRequest()).seed).to_dict()

    @api.post("/western", status_code=202, responses=errors)
    def western(req: WesternRequest) -> dict:
        """The guides' Western blot in silico, as a background job (figure: western_blot.svg)."""
        return ops["start_western"](req).to_dict()

    @api.post("/screen/filter", status_code=202, responses=errors)
    def screen_filter(
        library: Annotated[UploadFile, File(description="compound library (SMILES/SDF/CSV)")],
        profile: Annotated[str, Form(pattern=PROFILE)] = "lipinski",
    ) -> dict:
        """``p53lab screen filter LIBRARY --profile P --out filtered.parquet --json`` as a job."""
        return ops["start_screen"](library, profile).to_dict()

    @api.get("/jobs")
    def list_jobs() -> list[dict]:
        return [j.to_dict() for j in jobs.list()]

    @api.get("/jobs/{job_id}", responses=errors)
    def job(job_id: str) -> dict:
        return ops["get_job"](job_id).to_dict()

    @api.post("/jobs/{job_id}/cancel", responses=errors)
    def cancel(job_id: str) -> dict:
        j = ops["get_job"](job_id)
        jobs.cancel(j)
        return j.to_dict()

    @api.get("/jobs/{job_id}/files/{path:path}", responses=errors)
    def job_file(job_id: str, path: str):
        j = ops["get_job"](job_id)
        if path not in j.files():
            raise UserError(404, f"Job {job_id} has no file {path!r}.")
        return _file(j.folder / path, Path(path).name)

    @api.post("/advise", responses=errors)
    def advise(req: AdviceRequest) -> list[dict]:
        """``p53lab.advisor.advise``: causes ranked by score, with evidence and next experiments."""
        ranked = svc.advise(req.as_observations())
        if ranked is None:
            raise UserError(404, "advisor not installed (p53lab.advisor is missing).")
        return ranked

    @api.get("/runs", responses=errors)
    def runs() -> list[dict]:
        return svc.runs_list(settings.store) or []

    @api.get("/runs/{run_id}", responses=errors)
    def run(run_id: str) -> dict:
        return svc.run_show(settings.store, run_id)

    return api


def _file(path: Path, download_name: str) -> FileResponse:
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {}
    if path.suffix.lower() in (".html", ".htm", ".svg"):
        headers["content-security-policy"] = (
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
        )
    inline = path.suffix.lower() in (".svg", ".png", ".html", ".htm", ".txt", ".json")
    return FileResponse(
        path,
        media_type=media,
        headers=headers,
        filename=download_name,
        content_disposition_type="inline" if inline else "attachment",
    )
