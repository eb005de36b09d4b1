"""Settings of the web app: frozen and checked once, on construction."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError, param_error

__all__ = ["DEFAULT_MAX_UPLOAD_MB", "DEFAULT_PORT", "Settings", "is_loopback"]

DEFAULT_PORT = 8053
DEFAULT_MAX_UPLOAD_MB = 200.0  # a large 16-bit blot TIFF or a long FCS acquisition fits
DEFAULT_STORE = "runs.duckdb"  # the same default as `p53lab sweep` and `p53lab runs`


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """What a running app needs to know.

    ``token``: when set, every request must carry it (``Authorization: Bearer``, the
    ``X-P53lab-Token`` header, or the cookie the login form sets). ``workdir``: where uploads,
    analysis results and job folders go (default: a private temporary folder made at start).
    ``allowed_hosts``: the ``Host`` headers accepted (None: any), which guards a loopback server
    against DNS rebinding.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = None
    store: Path = Path(DEFAULT_STORE)
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    workdir: Path | None = None
    job_workers: int = 2
    max_queued_jobs: int = 16
    allowed_hosts: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        owner = "p53lab.web.Settings"
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise param_error(owner, "port", "a whole number in [0, 65535]", self.port)
        if self.token is not None and len(self.token) < 8:
            raise ParameterError(
                "The access token must have at least 8 characters. Got "
                f"{len(self.token)}; choose a longer one (e.g. from `openssl rand -hex 16`)."
            )
        if not (isinstance(self.max_upload_mb, int | float) and self.max_upload_mb > 0):
            raise param_error(owner, "max_upload_mb", "> 0", self.max_upload_mb)
        if not isinstance(self.job_workers, int) or self.job_workers < 1:
            raise param_error(owner, "job_workers", "a whole number >= 1", self.job_workers)
        if not isinstance(self.max_queued_jobs, int) or self.max_queued_jobs < 1:
            raise param_error(owner, "max_queued_jobs", "a whole number >= 1", self.max_queued_jobs)
        object.__setattr__(self, "store", Path(self.store))
        if self.workdir is not None:
            object.__setattr__(self, "workdir", Path(self.workdir))
        if not is_loopback(self.host) and not self.token:
            raise ParameterError(
                f"Refusing to serve on {self.host!r} without an access token: anyone who can "
                "reach this machine could use the lab server. Give --token (at least 8 "
                "characters) or serve on 127.0.0.1."
            )

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
