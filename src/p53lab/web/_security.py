"""The lab server's guards: access token, upload size, Host and Origin checks, response headers,
and the storing of uploads under generated names.

The guard is plain ASGI middleware so that it sees every request (pages, API, static files,
downloads) before any route does.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from ._settings import Settings

__all__ = [
    "COOKIE",
    "Guard",
    "Saved",
    "TooLarge",
    "is_api",
    "problem_body",
    "save_upload",
    "session_value",
]

COOKIE = "p53lab_session"
TOKEN_HEADER = "x-p53lab-token"
PUBLIC_PATHS = ("/login",)  # reachable without the token (the form that asks for it)
PUBLIC_PREFIXES = ("/static/",)  # our own CSS and JS, no data

# Only these extensions survive from a user's file name (the readers choose the format by it);
# everything else about the name stays out of the filesystem.
SAFE_SUFFIXES = frozenset(
    {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".fcs", ".lmd", ".tif", ".tiff", ".png", ".jpg"}
    | {".jpeg", ".smi", ".smiles", ".sdf", ".mol2", ".pdb", ".pdbqt", ".parquet", ".yaml"}
    | {".yml", ".json", ".gz"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
]


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def session_value(token: str) -> str:
    """The cookie value the login form sets: a keyed hash, so the cookie never holds the token."""
    return hmac.new(token.encode(), b"p53lab-web-session", hashlib.sha256).hexdigest()


def problem_body(status: int, detail: str, **extra) -> dict:
    """An RFC 9457 problem object."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }


class TooLarge(HTTPException):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(
            413,
            f"The upload is larger than the server's limit of {limit_bytes / 2**20:g} MiB. "
            "Send a smaller file, or start the server with a larger --max-upload-mb.",
        )


class Guard:
    """ASGI middleware: Host check, access token, same-origin writes, upload size limit and
    security headers."""

    def __init__(self, app, settings: Settings, render_error) -> None:
        self.app = app
        self.settings = settings
        self.limit = settings.max_upload_bytes
        self.render_error = render_error  # (scope, status, detail, headers) -> Response
        self.session = session_value(settings.token) if settings.token else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        path = scope["path"]

        async def refuse(status: int, detail: str, extra_headers=None):
            response = self.render_error(scope, status, detail, extra_headers or {})
            await response(scope, receive, send)

        allowed = self.settings.allowed_hosts
        if allowed is not None and _host_name(headers.get("host", "")) not in allowed:
            return await refuse(400, "This server does not answer to that host name.")
        if self.session and not self._authorised(headers, path):
            if not is_api(path) and scope["method"] in ("GET", "HEAD"):
                target = quote(
                    path
                    + ("?" + scope["query_string"].decode() if scope.get("query_string") else ""),
                    safe="",
                )
                return await refuse(303, "Log in first.", {"location": f"/login?next={target}"})
            return await refuse(
                401,
                "This server needs its access token: send 'Authorization: Bearer <token>' or "
                "log in at /login.",
                {"www-authenticate": 'Bearer realm="p53lab"'},
            )
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host"):
                return await refuse(403, "Cross-site requests are refused.")
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.limit
            except ValueError:
                return await refuse(400, "The Content-Length header is not a number.")
            if too_big:
                return await refuse(413, TooLarge(self.limit).detail)

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise TooLarge(self.limit)
            return message

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names
                ]
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)

    def _authorised(self, headers: Headers, path: str) -> bool:
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return True
        token = self.settings.token or ""
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and hmac.compare_digest(auth[7:].strip(), token):
            return True
        given = headers.get(TOKEN_HEADER)
        if given is not None and hmac.compare_digest(given, token):
            return True
        cookies = _cookies(headers.get("cookie", ""))
        return hmac.compare_digest(cookies.get(COOKIE, ""), self.session or "")


def _host_name(header: str) -> str:
    h = header.strip().lower()
    if h.startswith("["):  # [::1]:8053
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out[k] = v
    return out


# ------------------------------------------------------------------------------ uploads
@dataclass(frozen=True)
class Saved:
    """An upload on disk under a generated name; ``display`` is the user's file name, shown in
    pages and messages only."""

    path: Path
    display: str


def display_name(filename: str | None) -> str:
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = _CONTROL.sub("", name).strip()[:120]
    return name or "upload"


def _suffix(display: str) -> str:
    parts = [s.lower() for s in PurePosixPath(display).suffixes[-2:]]
    if parts and parts[-1] == ".gz" and len(parts) == 2 and parts[0] in SAFE_SUFFIXES:
        return parts[0] + ".gz"
    return parts[-1] if parts and parts[-1] in SAFE_SUFFIXES else ""


def save_upload(upload, folder: Path) -> Saved:
    """Copy an upload into ``folder`` under a random name (only a known extension is kept)."""
    display = display_name(getattr(upload, "filename", None))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"u{secrets.token_hex(10)}{_suffix(display)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        upload.file.seek(0)
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return Saved(path=path, display=display)
