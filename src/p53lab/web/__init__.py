"""``p53lab.web``: the lab server behind ``p53lab serve``.

A FastAPI app with server-rendered pages (simulate, analyse uploaded files, studies and the
in-silico Western blot, screening jobs, the troubleshooting advisor, the results store) and a
JSON API under ``/api`` described at ``/openapi.json``. It is a thin shell: every number comes
from the public library, in the same shape as the matching command's ``--json``.

>>> from p53lab.web import Settings, create_app
>>> app = create_app(Settings(max_upload_mb=50))   # doctest: +SKIP
"""

from ._settings import Settings, is_loopback

__all__ = ["Settings", "create_app", "is_loopback"]


def __getattr__(name: str):
    # The app needs the ``web`` extra (FastAPI, Jinja2); the settings do not, so the command
    # line can describe ``p53lab serve`` on a plain install.
    if name == "create_app":
        from ._app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
