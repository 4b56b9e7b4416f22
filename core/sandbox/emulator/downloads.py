"""The emulator's stand-in for GitHub's download host (blob storage behind the 302s).

On GitHub, ``.../logs`` and ``.../zip`` answer 302 with a short-lived signed URL on another
host; that host needs no token and does not count against the rate limit. Here the same
server answers under ``/_downloads/{owner}/{repo}/{kind}/{id}?expires=...``.
"""

from __future__ import annotations

import re
import time

from core.sandbox.emulator.http_io import Response
from core.sandbox.emulator.shapes import run_logs_zip, zip_files
from core.sandbox.emulator.site_state import Site

__all__ = ["DOWNLOAD_PREFIX", "serve_download"]

DOWNLOAD_PREFIX = "/_downloads/"
_PATH = re.compile(
    r"^/_downloads/(?P<name>[^/]+/[^/]+)/(?P<kind>logs|runlogs|artifacts|raw)/"
    r"(?P<ident>.+)$"
)
TEXT = "text/plain; charset=utf-8"
ZIP = "application/zip"


def _missing() -> Response:
    return Response(404, b"The specified blob does not exist.", content_type=TEXT, counted=False)


def _ok(body: bytes, content_type: str) -> Response:
    return Response(200, body, content_type=content_type, counted=False)


def _job_log(site: Site, ident: str) -> Response:
    log = site.data.log(int(ident)) if ident.isdigit() else None
    return _missing() if log is None else _ok(log, TEXT)


def _run_logs(site: Site, ident: str) -> Response:
    """The run's log archive, built once per (run, attempt) and cached."""
    run_id, _, number = ident.partition("/")
    if not (run_id.isdigit() and number.isdigit()):
        return _missing()

    def build() -> bytes:
        jobs = site.data.jobs(int(run_id), int(number))
        logs = [(job, site.data.log(int(job["id"]))) for job in jobs]
        return run_logs_zip([(job, log) for job, log in logs if log is not None])

    return _ok(site.zips.get_or_load(("run", int(run_id), int(number)), build), ZIP)


RAW_ZIP = "__raw__.zip"
"""An artifact folder holding only this file is served as that exact zip archive."""


def _artifact(site: Site, ident: str) -> Response:
    where = site.data.find_artifact(int(ident)) if ident.isdigit() else None
    if where is None:
        return _missing()

    def build() -> bytes:
        files = site.data.artifact_files(*where)
        if set(files) == {RAW_ZIP}:  # a prepared archive (tests: bombs, traversal) as it is
            return files[RAW_ZIP]
        return zip_files(sorted(files.items()))

    return _ok(site.zips.get_or_load(("artifact", int(ident)), build), ZIP)


def _raw(site: Site, ident: str) -> Response:
    data = site.data.file(ident)
    return _missing() if data is None else _ok(data, TEXT)


def serve_download(sites: dict[str, Site], path: str, query: dict[str, str]) -> Response:
    """:calls: GET {Location of a 302} — a log text, a log zip, an artifact zip or a raw file.

    Links expire a minute after they were handed out, as GitHub's do (403 afterwards).
    """
    match = _PATH.match(path)
    site = sites.get(match["name"].lower()) if match else None
    if match is None or site is None:
        return _missing()
    expires = query.get("expires", "")
    if expires.isdigit() and int(expires) < time.time():
        return Response(
            403, b"Signature expired: request a new download URL.", content_type=TEXT, counted=False
        )
    serve = {"logs": _job_log, "runlogs": _run_logs, "artifacts": _artifact, "raw": _raw}
    return serve[match["kind"]](site, match["ident"])
