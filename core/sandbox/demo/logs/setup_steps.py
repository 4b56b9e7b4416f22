"""Log text of tool set-up and dependency installation steps (successful runs).

Toolchain versions move with time like a real repository's: the web toolchain moves from
Node 20 (npm 10.2, ``npm ERR!``) to Node 22 (npm 10.9, ``npm error``) half-way through.
"""

from __future__ import annotations

from core.sandbox.demo.logs.builder import LogCtx
from core.sandbox.demo.logs.steps import run_header, uses_header

__all__ = ["PY_VERSIONS", "node_info", "py_env", "java_env", "SETUP_RENDERERS"]

PY_VERSIONS = {"3.11": "3.11.11", "3.12": "3.12.8"}
JDK = "21.0.5+11"
GO = "1.23.4"
BACKEND_PKGS = (
    ("fastapi", "0.115.6"),
    ("starlette", "0.41.3"),
    ("pydantic", "2.10.3"),
    ("pydantic-core", "2.27.1"),
    ("sqlalchemy", "2.0.36"),
    ("psycopg", "3.2.3"),
    ("alembic", "1.14.0"),
    ("httpx", "0.28.1"),
    ("uvicorn", "0.32.1"),
    ("redis", "5.2.1"),
    ("structlog", "24.4.0"),
    ("grpcio-status", "1.67.1"),
    ("protobuf", "4.25.5"),
    ("pytest", "8.3.4"),
    ("pytest-asyncio", "0.24.0"),
    ("pytest-cov", "6.0.0"),
    ("anyio", "4.7.0"),
    ("factory-boy", "3.3.1"),
    ("freezegun", "1.5.1"),
    ("respx", "0.21.1"),
)


def node_info(ctx: LogCtx) -> tuple[str, str, str]:
    """(node version, npm version, npm's error prefix) at the job's point in history."""
    if ctx.job.frac < 0.5:
        return "20.11.1", "10.2.4", "npm ERR!"
    return "22.12.0", "10.9.0", "npm error"


def _py_version(ctx: LogCtx) -> str:
    return PY_VERSIONS[ctx.job.spec.params.get("python", "3.12")]


def _toolcache(ctx: LogCtx, *parts: str) -> str:
    return ctx.os.toolcache + ctx.sep + ctx.sep.join(parts)


def py_env(ctx: LogCtx) -> dict[str, str]:
    loc = _toolcache(ctx, "Python", _py_version(ctx), ctx.os.arch)
    env = {
        "pythonLocation": loc,
        "PKG_CONFIG_PATH": f"{loc}/lib/pkgconfig",
        "Python_ROOT_DIR": loc,
        "Python2_ROOT_DIR": loc,
        "Python3_ROOT_DIR": loc,
    }
    if ctx.linux:
        env["LD_LIBRARY_PATH"] = f"{loc}/lib"
    return env


def java_env(ctx: LogCtx) -> dict[str, str]:
    home = _toolcache(ctx, "Java_Temurin-Hotspot_jdk", JDK.replace("+", "-"), ctx.os.arch)
    return {"JAVA_HOME": home, "JAVA_HOME_21_X64": home}


def _cache_lines(ctx: LogCtx, key: str) -> list[str]:
    size = ctx.rng.randint(40_000_000, 260_000_000)
    got = ctx.rng.randint(size // 3, size)
    return [
        f"Cache hit for: {key}",
        f"Received {got} of {size} ({100 * got / size:.1f}%), "
        f"{ctx.rng.uniform(40, 160):.1f} MBs/sec",
        f"Cache Size: ~{size // 1_048_576} MB ({size} B)",
        f"[command]/usr/bin/tar -xf {ctx.repo_dir.rsplit(ctx.sep, 2)[0]}{ctx.sep}_temp"
        f"{ctx.sep}{ctx.rng.getrandbits(64):016x}{ctx.sep}cache.tzst -P -C {ctx.repo_dir} "
        "--use-compress-program unzstd",
        "Cache restored successfully",
        f"Cache restored from key: {key}",
    ]


def _key(ctx: LogCtx, prefix: str) -> str:
    return f"{prefix}-{ctx.os.family.title()}-{ctx.os.arch}-{ctx.rng.getrandbits(256):064x}"


def setup_python(ctx: LogCtx) -> list[str]:
    ver = _py_version(ctx)
    lines = uses_header(
        "actions/setup-python@v5",
        {
            "python-version": ver.rsplit(".", 1)[0],
            "cache": "pip",
            "cache-dependency-path": "backend/requirements*.txt",
            "check-latest": "false",
            "token": "***",
            "update-environment": "true",
            "allow-prereleases": "false",
            "freethreaded": "false",
        },
    )
    return (
        lines
        + ["##[group]Installed versions", f"Successfully set up CPython ({ver})", "##[endgroup]"]
        + _cache_lines(ctx, _key(ctx, f"setup-python-{ver}-pip"))
    )


def setup_node(ctx: LogCtx) -> list[str]:
    node, npm, _ = node_info(ctx)
    lines = uses_header(
        "actions/setup-node@v4",
        {
            "node-version-file": "web/.nvmrc",
            "cache": "npm",
            "cache-dependency-path": "web/package-lock.json",
            "always-auth": "false",
            "check-latest": "false",
            "token": "***",
        },
    )
    return (
        lines
        + [
            f"Found in cache @ {_toolcache(ctx, 'node', node, ctx.os.arch)}",
            "##[group]Environment details",
            f"node: v{node}",
            f"npm: {npm}",
            "yarn: 1.22.22",
            "##[endgroup]",
            "[command]/usr/local/bin/npm config get cache",
            "/home/runner/.npm",
        ]
        + _cache_lines(ctx, _key(ctx, "node-cache-npm"))
    )


def setup_java(ctx: LogCtx) -> list[str]:
    lines = uses_header(
        "actions/setup-java@v4",
        {
            "distribution": "temurin",
            "java-version": "21",
            "cache": "maven",
            "cache-dependency-path": "services/api/pom.xml",
            "java-package": "jdk",
            "check-latest": "false",
            "server-id": "github",
            "server-username": "GITHUB_ACTOR",
            "server-password": "GITHUB_TOKEN",
            "overwrite-settings": "true",
            "job-status": "success",
            "token": "***",
        },
    )
    home = java_env(ctx)["JAVA_HOME"]
    return lines + [
        "##[group]Installed distributions",
        f"Resolved Java {JDK} from tool-cache",
        f"Setting Java {JDK} as the default",
        "Creating toolchains.xml for JDK version 21 from temurin",
        "Writing to /home/runner/.m2/toolchains.xml",
        "",
        "Java configuration:",
        "  Distribution: temurin",
        f"  Version: {JDK}",
        f"  Path: {home}",
        "",
        "##[endgroup]",
        "Creating settings.xml with server-id: github",
        "Writing to /home/runner/.m2/settings.xml",
        "Cache restored successfully",
        f"Cache restored from key: {_key(ctx, 'setup-java-maven')}",
    ]


def setup_go(ctx: LogCtx) -> list[str]:
    lines = uses_header(
        "actions/setup-go@v5",
        {
            "go-version-file": "cli/go.mod",
            "cache-dependency-path": "cli/go.sum",
            "check-latest": "false",
            "token": "***",
            "cache": "true",
        },
    )
    goroot = _toolcache(ctx, "go", GO, ctx.os.arch)
    goos = {"linux": "linux", "macos": "darwin", "windows": "windows"}[ctx.os.family]
    arch = "arm64" if ctx.os.arch == "arm64" else "amd64"
    return (
        lines
        + [
            f"Setup go version spec {GO}",
            f"Found in cache @ {goroot}",
            "Added go to the path",
            f"Successfully set up Go version {GO}",
            f"[command]{goroot}{ctx.sep}bin{ctx.sep}go env GOMODCACHE",
            f"[command]{goroot}{ctx.sep}bin{ctx.sep}go env GOCACHE",
        ]
        + _cache_lines(ctx, _key(ctx, f"setup-go-go-{GO}"))
        + [
            f"go version go{GO} {goos}/{arch}",
            "",
            "##[group]go env",
            "GO111MODULE=''",
            f"GOARCH='{arch}'",
            f"GOOS='{goos}'",
            f"GOVERSION='go{GO}'",
            "##[endgroup]",
        ]
    )


def _pip_lines(ctx: LogCtx, req: str, pkgs: tuple[tuple[str, str], ...]) -> list[str]:
    lines = []
    for number, (name, ver) in enumerate(pkgs, start=1):
        wheel = name.replace("-", "_")
        lines.append(f"Collecting {name}=={ver} (from -r {req} (line {number}))")
        lines.append(
            f"  Using cached {wheel}-{ver}-py3-none-any.whl.metadata "
            f"({ctx.rng.randint(2, 40)}.{ctx.rng.randint(0, 9)} kB)"
        )
    joined = " ".join(f"{n}-{v}" for n, v in pkgs)
    return lines + [
        "Installing collected packages: " + ", ".join(n for n, _ in pkgs),
        f"Successfully installed {joined}",
    ]


def install_py(ctx: LogCtx) -> list[str]:
    e2e = ctx.job.spec.toolchain == "e2e"
    script = [
        "python -m pip install --upgrade pip",
        "pip install -r backend/requirements.txt -r backend/requirements-test.txt",
    ]
    if e2e:
        script.append("pip install pytest-playwright==0.6.2")
    lines = run_header(ctx, script, py_env(ctx))
    lines += [
        "Requirement already satisfied: pip in "
        f"{py_env(ctx)['pythonLocation']}{ctx.sep}lib{ctx.sep}site-packages (24.3.1)"
    ]
    return lines + _pip_lines(ctx, "backend/requirements.txt", BACKEND_PKGS)


def npm_ci(ctx: LogCtx) -> list[str]:
    warn = "npm warn" if node_info(ctx)[2] == "npm error" else "npm WARN"
    n = 1093 + int(ctx.job.frac * 40)
    return [
        f"{warn} deprecated inflight@1.0.6: This module is not supported, and leaks memory. "
        "Do not use it. Check out lru-cache if you want a good and tested way to coalesce "
        "async requests by a key value, which is much more comprehensive and powerful.",
        f"{warn} deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported",
        "",
        f"added {n} packages, and audited {n + 1} packages in {ctx.rng.randint(9, 24)}s",
        "",
        "214 packages are looking for funding",
        "  run `npm fund` for details",
        "",
        "found 0 vulnerabilities",
    ]


def install_node(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["npm ci --prefix web"]) + npm_ci(ctx)


def install_lint(ctx: LogCtx) -> list[str]:
    lines = run_header(
        ctx, ["pip install -r backend/requirements-dev.txt", "npm ci --prefix web"], py_env(ctx)
    )
    tools = (
        ("ruff", "0.8.4"),
        ("mypy", "1.13.0"),
        ("mypy-extensions", "1.0.0"),
        ("types-redis", "4.6.0.20241004"),
        ("sqlalchemy", "2.0.36"),
        ("pydantic", "2.10.3"),
        ("fastapi", "0.115.6"),
    )
    return lines + _pip_lines(ctx, "backend/requirements-dev.txt", tools) + npm_ci(ctx)


def go_mod(ctx: LogCtx) -> list[str]:
    return run_header(ctx, ["go mod download", "go mod verify"]) + ["all modules verified"]


def playwright_install(ctx: LogCtx) -> list[str]:
    lines = run_header(
        ctx, ["python -m playwright install --with-deps chromium webkit"], py_env(ctx)
    )
    for name, ver, build in (("Chromium", "131.0.6778.33", "1148"), ("WebKit", "18.2", "2104")):
        size = 164.5 if name == "Chromium" else 88.1
        lines.append(
            f"Downloading {name} {ver} (playwright build v{build}) from "
            f"https://playwright.azureedge.net/builds/{name.lower()}/{build}/"
            f"{name.lower()}-linux.zip"
        )
        lines += [
            f"|{'■' * (i * 8)}{' ' * (80 - i * 8)}| {i * 10}% of {size} MiB" for i in range(1, 11)
        ]
        lines.append(
            f"{name} {ver} (playwright build v{build}) downloaded to "
            f"/home/runner/.cache/ms-playwright/{name.lower()}-{build}"
        )
    return lines


def compose_up(ctx: LogCtx) -> list[str]:
    lines = run_header(ctx, ["docker compose -f deploy/docker-compose.e2e.yml up -d --wait"])
    names = ("db", "redis", "api", "backend", "web")
    return lines + [
        " Network shopfront_default  Creating",
        " Network shopfront_default  Created",
        *(f" Container shopfront-{n}-1  Started" for n in names),
        *(f" Container shopfront-{n}-1  Healthy" for n in names),
    ]


def merge_reports(ctx: LogCtx) -> list[str]:
    return run_header(
        ctx,
        [
            "npx --yes junit-report-merger target/TEST-shopfront-api.xml "
            '"target/surefire-reports/TEST-*.xml"'
        ],
    )


SETUP_RENDERERS = {
    "setup_python": setup_python,
    "setup_node": setup_node,
    "setup_java": setup_java,
    "setup_go": setup_go,
    "install_py": install_py,
    "install_node": install_node,
    "install_lint": install_lint,
    "go_mod": go_mod,
    "playwright_install": playwright_install,
    "compose_up": compose_up,
    "merge_reports": merge_reports,
}
