"""``p53lab serve``: the lab server (web pages and a JSON API) for people who do not use a
command line.

``p53lab serve [--host H] [--port P] [--token T] [--store FILE.duckdb] [--max-upload-mb MB]
[--workdir DIR] [--workers N]``. By default it answers on 127.0.0.1 only. Serving on any other
address needs an access token (``--token`` or the ``P53LAB_TOKEN`` environment variable, so that
it stays out of the process list); without one it refuses to start (exit code 2).
"""

from __future__ import annotations

import os
import sys

TOKEN_ENV = "P53LAB_TOKEN"


def register(sub) -> None:
    from ..web._settings import DEFAULT_MAX_UPLOAD_MB, DEFAULT_PORT, DEFAULT_STORE

    p = sub.add_parser(
        "serve",
        help="start the lab server: web pages and a JSON API (/openapi.json)",
        description="Serve the p53lab web app: simulate, analyse uploaded lab files, run "
        "studies and screening jobs, ask the advisor, browse the results store. Binds "
        "127.0.0.1 by default; any other address needs an access token.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--token",
        default=None,
        help=f"access token every request must carry (default: ${TOKEN_ENV}); required "
        "when --host is not a loopback address",
    )
    p.add_argument(
        "--store",
        default=DEFAULT_STORE,
        metavar="FILE.duckdb",
        help=f"results store to browse (default: {DEFAULT_STORE} in the current folder)",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=DEFAULT_MAX_UPLOAD_MB,
        help=f"largest request body accepted, MiB (default {DEFAULT_MAX_UPLOAD_MB:g})",
    )
    p.add_argument(
        "--workdir",
        default=None,
        metavar="DIR",
        help="folder for uploads, results and job files (default: a private temporary folder)",
    )
    p.add_argument("--workers", type=int, default=2, help="background job workers (default 2)")
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    from ..errors import ParameterError
    from ..web import Settings, is_loopback

    try:
        from ..web import create_app
    except ModuleNotFoundError as exc:
        raise ParameterError(
            f"p53lab serve needs the web extra ({exc.name} is not installed): "
            'pip install "p53lab[web]".'
        ) from None

    token = args.token or os.environ.get(TOKEN_ENV) or None
    loopback = is_loopback(args.host)
    settings = Settings(  # refuses a non-loopback host without a token (ParameterError: exit 2)
        host=args.host,
        port=args.port,
        token=token,
        store=args.store,
        max_upload_mb=args.max_upload_mb,
        workdir=args.workdir,
        job_workers=args.workers,
        allowed_hosts=("127.0.0.1", "localhost", "::1") if loopback else None,
    )
    app = create_app(settings)

    import uvicorn

    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"p53lab: serving on http://{shown}:{args.port}/"
        + (" (access token required)" if token else "")
        + "; Ctrl-C stops it.",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False)
    return 0
