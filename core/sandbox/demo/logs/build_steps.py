"""Log text of lint, image build, CodeQL and release steps when they succeed."""

from __future__ import annotations

import uuid

from core.sandbox.demo.logs.builder import LogCtx
from core.sandbox.demo.logs.setup_steps import py_env
from core.sandbox.demo.logs.steps import run_header, uses_header

__all__ = ["BUILD_RENDERERS"]


def _ruff(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["ruff check backend/", "ruff format --check backend/"], py_env(ctx)) + [
        "All checks passed!",
        "142 files already formatted",
    ]


def _mypy(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["mypy backend/app"], py_env(ctx)) + [
        "Success: no issues found in 142 source files"
    ]


def _eslint(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["npx eslint . --max-warnings 0"])


def _tsc(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["npx tsc --noEmit"])


def _go_vet(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["go vet ./..."])


def _buildx(ctx: LogCtx) -> list[str]:
    name = f"builder-{uuid.UUID(int=ctx.rng.getrandbits(128), version=4)}"
    ctx.extra["builder"] = name
    return uses_header(
        "docker/setup-buildx-action@v3",
        {"driver": "docker-container", "install": "false", "use": "true", "keep-state": "false"},
    ) + [
        "##[group]Docker info",
        "[command]/usr/bin/docker version",
        "Client: Docker Engine - Community",
        " Version:           27.4.1",
        "##[endgroup]",
        "##[group]Buildx version",
        "[command]/usr/bin/docker buildx version",
        "github.com/docker/buildx v0.19.3 48d6a3927aa0d1a6b3ee1ba0f5f16ec0ab2a6d9f",
        "##[endgroup]",
        "##[group]Creating a new builder instance",
        f"[command]/usr/bin/docker buildx create --name {name} --driver docker-container "
        "--buildkitd-flags --allow-insecure-entitlement security.insecure --allow-insecure-"
        "entitlement network.host --use",
        name,
        "##[endgroup]",
        "##[group]Booting builder",
        f"[command]/usr/bin/docker buildx inspect --bootstrap --builder {name}",
        "#1 [internal] booting buildkit",
        "#1 pulling image moby/buildkit:buildx-stable-1",
        f"#1 pulling image moby/buildkit:buildx-stable-1 {ctx.rng.uniform(0.8, 2.5):.1f}s done",
        f"#1 creating container buildx_buildkit_{name}0",
        "#1 DONE 3.4s",
        "##[endgroup]",
    ]


def _image_steps(ctx: LogCtx, push: bool) -> list[str]:
    r = ctx.rng
    layers = [
        f"[1/6] FROM docker.io/library/python:3.12-slim@sha256:{r.getrandbits(256):064x}",
        "[2/6] WORKDIR /app",
        "[3/6] COPY backend/requirements.txt .",
        "[4/6] RUN pip install --no-cache-dir -r requirements.txt",
        "[5/6] COPY backend/ .",
        "[6/6] RUN python -m compileall -q app",
    ]
    out = [
        "#1 [internal] load build definition from Dockerfile",
        f"#1 transferring dockerfile: {r.uniform(0.9, 1.4):.2f}kB done",
        "#1 DONE 0.0s",
        "",
        "#2 [internal] load metadata for docker.io/library/python:3.12-slim",
        f"#2 DONE {r.uniform(0.4, 1.6):.1f}s",
        "",
        "#3 [internal] load .dockerignore",
        "#3 transferring context: 312B done",
        "#3 DONE 0.0s",
        "",
    ]
    for i, layer in enumerate(layers, start=4):
        cached = i in (5, 6) or (i == 7 and r.random() < 0.7)  # deps layer: cache usually hits
        out += [
            f"#{i} {layer}",
            f"#{i} CACHED" if cached else f"#{i} DONE {r.uniform(0.5, 40):.1f}s",
            "",
        ]
    out += [
        "#10 exporting to image",
        "#10 exporting layers 2.3s done",
        f"#10 writing image sha256:{r.getrandbits(256):064x} done",
    ]
    if push:
        out += [
            "#10 pushing layers 4.1s done",
            "#10 pushing manifest for "
            f"ghcr.io/acme-labs/shopfront-backend:{ctx.job.run.trigger.branch.lstrip('v')}"
            f"@sha256:{r.getrandbits(256):064x} 0.8s done",
        ]
    return out + [f"#10 DONE {r.uniform(3, 12):.1f}s"]


def _docker(ctx: LogCtx, push: bool) -> list[str]:
    sha7 = ctx.job.run.sha[:7]
    tag = ctx.job.run.trigger.branch.lstrip("v") if push else f"sha-{sha7}"
    head = uses_header(
        "docker/build-push-action@v6",
        {
            "context": ".",
            "file": "backend/Dockerfile",
            "push": str(push).lower(),
            "tags": f"ghcr.io/acme-labs/shopfront-backend:{tag}",
            "cache-from": "type=gha",
            "cache-to": "type=gha,mode=max",
            "load": "false",
            "no-cache": "false",
            "pull": "false",
            "github-token": "***",
        },
    )
    builder = ctx.extra.get("builder", "builder-default")
    return (
        head
        + [
            "##[group]GitHub Actions runtime token ACs",
            f"ref:{'refs/tags/v' + tag if push else 'refs/heads/main'}: read/write",
            "##[endgroup]",
            "##[group]Proxy configuration",
            "No proxy configuration found",
            "##[endgroup]",
            f"[command]/usr/bin/docker buildx build --cache-from type=gha --cache-to "
            f"type=gha,mode=max --file backend/Dockerfile --tag "
            f"ghcr.io/acme-labs/shopfront-backend:{tag}{' --push' if push else ''} .",
            f'#0 building with "{builder}" instance using docker-container driver',
            "",
        ]
        + _image_steps(ctx, push)
        + ["##[group]Check build summary support", "Build summary supported!", "##[endgroup]"]
    )


def _login(ctx: LogCtx) -> list[str]:
    return uses_header(
        "docker/login-action@v3",
        {
            "registry": "ghcr.io",
            "username": "***",
            "password": "***",
            "ecr": "auto",
            "logout": "true",
        },
    ) + ["Logging into ghcr.io...", "Login Succeeded!"]


def _codeql_init(ctx: LogCtx) -> list[str]:
    lang = ctx.job.spec.params["language"]
    return uses_header(
        "github/codeql-action/init@v3",
        {"languages": lang, "build-mode": "none", "token": "***", "debug": "false"},
    ) + [
        "##[group]Setup CodeQL tools",
        "Did not find CodeQL tools version 2.20.0 in the toolcache.",
        "Using CodeQL CLI version 2.20.0 sourced from "
        "https://github.com/github/codeql-action/releases/download/codeql-bundle-v2.20.0/"
        "codeql-bundle-linux64.tar.zst .",
        "##[endgroup]",
        "##[group]Validating workflow",
        "##[endgroup]",
        f"Initializing CodeQL database for {lang}",
        f"[command]/opt/hostedtoolcache/CodeQL/2.20.0/x64/codeql/codeql database init "
        f"--db-cluster /home/runner/work/_temp/codeql_databases --source-root={ctx.repo_dir} "
        f"--language={lang} --overwrite",
        f"Calculating baseline information in {ctx.repo_dir}",
        f"Calculated baseline for languages: {lang}",
    ]


def _codeql_analyze(ctx: LogCtx) -> list[str]:
    lang = ctx.job.spec.params["language"]
    queries = ctx.rng.randint(180, 260)
    return uses_header(
        "github/codeql-action/analyze@v3",
        {"category": f"/language:{lang}", "upload": "always", "output": "../results"},
    ) + [
        f"##[group]Finalizing {lang}",
        f"Finalizing database at /home/runner/work/_temp/codeql_databases/{lang}.",
        f"Successfully created database at /home/runner/work/_temp/codeql_databases/{lang}.",
        "##[endgroup]",
        f"##[group]Running queries for {lang}",
        f"Running query suite for {lang}: codeql/{lang}-queries:codeql-suites/"
        f"{lang}-code-scanning.qls",
        f"Evaluating {queries} queries.",
        "Shutting down query evaluator.",
        "##[endgroup]",
        f"##[group]Interpreting results for {lang}",
        f"Interpreting results for {lang}: {queries} queries, 0 alerts",
        "##[endgroup]",
        "Uploading code scanning results",
        "Successfully uploaded results",
    ]


def _goreleaser(ctx: LogCtx) -> list[str]:
    ver = ctx.job.run.trigger.branch
    lines = uses_header(
        "goreleaser/goreleaser-action@v6",
        {
            "distribution": "goreleaser",
            "version": "~> v2",
            "args": "release --clean",
            "workdir": "cli",
            "install-only": "false",
        },
    )
    lines += [
        "Downloading https://github.com/goreleaser/goreleaser/releases/download/v2.5.0/"
        "goreleaser_Linux_x86_64.tar.gz",
        "Extracting GoReleaser",
        "/usr/bin/tar xz --warning=no-unknown-keyword --overwrite -C /home/runner/work/"
        "_temp/goreleaser -f /home/runner/work/_temp/goreleaser.tar.gz",
        "GoReleaser v2.5.0 installed successfully",
        "/opt/hostedtoolcache/goreleaser-action/2.5.0/x64/goreleaser release --clean",
        "  • starting release...",
        "  • loading                                  path=.goreleaser.yaml",
        "  • getting and validating git state",
        f"    • git state                                 commit={ctx.job.run.sha} "
        f"branch=HEAD current_tag={ver} previous_tag=v1.3.0 dirty=false",
        "  • building binaries",
    ]
    for goos in ("linux", "darwin", "windows"):
        for arch in ("amd64", "arm64"):
            lines.append(
                f"    • building                                  "
                f"binary=dist/shopctl_{goos}_{arch}/shopctl"
            )
    return lines + [
        "  • archives",
        "  • calculating checksums",
        "  • publishing",
        "    • scm releases",
        f"      • creating or updating release  tag={ver} repo=acme-labs/shopfront",
        f"  • release succeeded after {ctx.rng.randint(60, 160)}s",
    ]


_FILTERS = (
    ("backend", ("backend/**",)),
    ("web", ("web/**",)),
    ("api", ("services/api/**",)),
    ("cli", ("cli/**",)),
    ("ci", (".github/**", "Makefile")),
)


def _changed(ctx: LogCtx) -> list[dict[str, object]]:
    trig = ctx.job.run.trigger
    if trig.event != "pull_request" or trig.pr is None:
        return list(trig.commit.files)
    merged: dict[str, dict[str, object]] = {}
    for commit in trig.pr.pushes[: trig.pr.pushes.index(trig.commit) + 1]:
        for f in commit.files:
            merged.setdefault(str(f["filename"]), f)
    return list(merged.values())


def _paths_filter(ctx: LogCtx) -> list[str]:
    """dorny/paths-filter: which components a pull request (or push) changed."""
    spec = (
        "".join(f"{name}:\n" + "".join(f"  - '{g}'\n" for g in globs) for name, globs in _FILTERS)
        .rstrip("\n")
        .split("\n")
    )
    lines = [
        "##[group]Run dorny/paths-filter@v3",
        "with:",
        f"  filters: {spec[0]}",
        *spec[1:],
        "",
        "  token: ***",
        "  list-files: none",
        "  initial-fetch-depth: 100",
        "##[endgroup]",
        "Get current git ref",
        "[command]/usr/bin/git branch --show-current",
    ]
    trig, files = ctx.job.run.trigger, _changed(ctx)
    if trig.event == "pull_request" and trig.pr is not None:
        n = trig.pr.number
        lines += [
            f"Changes will be detected between main and refs/pull/{n}/merge",
            f"##[group]Fetching list of changed files for PR#{n} from Github API",
            f"Invoking listFiles(pull_number: {n}, per_page: 100)",
            f"Received {len(files)} items",
        ]
    else:
        parent = trig.commit.parent or trig.commit.sha
        lines += [
            trig.branch,
            f"Changes will be detected between {parent} and {trig.branch}",
            "##[group]Fetching list of changed files",
            f"[command]/usr/bin/git diff --no-renames --name-status -z {parent} {trig.commit.sha}",
        ]
    lines += [f"[{f['status']}] {f['filename']}" for f in files] + ["##[endgroup]"]
    hits = []
    for name, globs in _FILTERS:
        match = [
            f for f in files if any(str(f["filename"]).startswith(g.rstrip("*")) for g in globs)
        ]
        hits += [name] if match else []
        lines += [
            f"##[group]Filter {name} = {str(bool(match)).lower()}",
            "Matching files:" + ("" if match else " none"),
            *(f"{f['filename']} [{f['status']}]" for f in match),
            "##[endgroup]",
        ]
    return lines + [f"##[group]Changes output set to {hits}".replace("'", '"'), "##[endgroup]"]


BUILD_RENDERERS = {
    "paths_filter": _paths_filter,
    "ruff": _ruff,
    "mypy": _mypy,
    "eslint": _eslint,
    "tsc": _tsc,
    "go_vet": _go_vet,
    "setup_buildx": _buildx,
    "docker_build": lambda c: _docker(c, False),
    "docker_push": lambda c: _docker(c, True),
    "docker_login": _login,
    "codeql_init": _codeql_init,
    "codeql_analyze": _codeql_analyze,
    "goreleaser": _goreleaser,
}
