"""Log lines of non-test failures: linters, compilers, package managers, registries, runners.

Each renderer returns an :class:`~core.sandbox.demo.logs.builder.Out` with the lines the tool
prints when it
fails, the cause lines marked, and the process exit code (0 when the failure is reported by the
runner or an action rather than by a shell process). ``KEEP`` says how much of the step's normal
output precedes the failure (0 = only the step header).
"""

from __future__ import annotations

from collections.abc import Callable

from core.sandbox.demo.faults import Fault
from core.sandbox.demo.logs.builder import LogCtx, Out
from core.sandbox.demo.logs.setup_steps import node_info

__all__ = ["FAIL_RENDERERS", "KEEP"]

KEEP = {
    "net_pip": 0.5,
    "net_npm": 0.0,
    "net_go": 0.0,
    "pip_resolution": 0.4,
    "pip_missing": 0.3,
    "npm_eresolve": 0.0,
    "npm_e404": 0.0,
    "docker_503": 0.3,
    "ghcr_denied": 0.85,
    "goreleaser_dirty": 0.2,
    "docker_pull": 0.45,
    "action_503": 0.9,
    "action_ref": 0.9,
}


def _ruff(ctx: LogCtx, f: Fault) -> Out:
    d = f.detail
    n, pad = d["line"], " " * len(str(d["line"] + 1))
    out = Out().add(
        f"{d['file']}:{n}:{d['col']}: {d['code']} [*] {d['msg']}"
        if d["code"] == "F401"
        else f"{d['file']}:{n}:{d['col']}: {d['code']} {d['msg']}",
        cause=True,
    )
    out.add(
        f"{pad} |",
        f"{n - 1:>{len(pad)}} | ",
        f"{n:>{len(pad)}} | {d['src']}",
        f"{pad} | {' ' * (d['col'] - 1)}{'^' * d['width']} {d['code']}",
        f"{pad} |",
        f"{pad} = help: {d['help']}",
        "",
    )
    out.add("Found 1 error.", cause=True)
    if d["code"] == "F401":
        out.add("[*] 1 fixable with the `--fix` option.")
    out.exit_code = 1
    return out


def _ruff_format(ctx: LogCtx, f: Fault) -> Out:
    out = Out().add("All checks passed!")
    out.add(
        f"Would reformat: {f.detail['file']}",
        "1 file would be reformatted, 141 files already formatted",
        cause=True,
    )
    out.exit_code = 1
    return out


def _mypy(ctx: LogCtx, f: Fault) -> Out:
    errs = f.detail["errors"]
    out = Out()
    for path, line, msg, code in errs:
        out.add(f"{path}:{line}: error: {msg}  [{code}]", cause=True)
    files = len({e[0] for e in errs})
    out.add(
        f"Found {len(errs)} error{'s' if len(errs) > 1 else ''} in {files} file"
        f"{'s' if files > 1 else ''} (checked 142 source files)",
        cause=True,
    )
    out.exit_code = 1
    return out


def _eslint(ctx: LogCtx, f: Fault) -> Out:
    d = f.detail
    out = Out().add("")
    out.add(ctx.path(*d["file"].split("/")), cause=True)
    for line, col, msg, rule in d["problems"]:
        out.add(f"  {line}:{col}  error  {msg}  {rule}", cause=True)
    n = len(d["problems"])
    out.add("")
    out.add(
        f"✖ {n} problem{'s' if n > 1 else ''} ({n} error{'s' if n > 1 else ''}, 0 warnings)",
        cause=True,
    )
    out.exit_code = 1
    return out


def _tsc(ctx: LogCtx, f: Fault) -> Out:
    d = f.detail
    out = Out().add(
        f"{d['file']}({d['line']},{d['col']}): error {d['code']}: {d['msg']}",
        *d["more"],
        cause=True,
    )
    out.exit_code = 2
    return out


def _go(ctx: LogCtx, f: Fault) -> Out:
    d = f.detail
    pkg = f"github.com/acme-labs/shopfront/cli/internal/{d['pkg']}"
    prefix = "" if d["vet"] else "vet: "
    out = Out().add(f"# {pkg}", f"# [{pkg}]")
    out.add(f"{prefix}{d['file']}:{d['line']}:{d['col']}: {d['msg']}", cause=True)
    out.exit_code = 1
    return out


def _pip_missing(ctx: LogCtx, f: Fault) -> Out:
    d = f.detail
    versions = ", ".join(f"0.{i}.0" for i in range(1, 8)) + f", ..., {d['last']}"
    out = Out().add(
        f"ERROR: Could not find a version that satisfies the requirement "
        f"{d['name']}=={d['bad']} (from versions: {versions})",
        f"ERROR: No matching distribution found for {d['name']}=={d['bad']}",
        cause=True,
    )
    out.exit_code = 1
    return out


def _pip_resolution(ctx: LogCtx, f: Fault) -> Out:
    out = Out().add(
        "INFO: pip is looking at multiple versions of grpcio-status to determine "
        "which version is compatible with other requirements. This could take a "
        "while."
    )
    out.add(
        "ERROR: Cannot install -r backend/requirements.txt (line 14) and protobuf==4.25.5 "
        "because these package versions have conflicting dependencies.",
        cause=True,
    )
    out.add("", "The conflict is caused by:")
    out.add(
        "    The user requested protobuf==4.25.5",
        "    grpcio-status 1.68.1 depends on protobuf<6.0dev and >=5.26.1",
        cause=True,
    )
    out.add(
        "",
        "To fix this you could try to:",
        "1. loosen the range of package versions you've specified",
        "2. remove package versions to allow pip to attempt to solve the dependency conflict",
        "",
    )
    out.add(
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/"
        "dependency-resolution/#dealing-with-dependency-conflicts",
        cause=True,
    )
    out.exit_code = 1
    return out


def _net_pip(ctx: LogCtx, f: Fault) -> Out:
    pkg, ver = ctx.rng.choice(
        (
            ("sqlalchemy", "2.0.36"),
            ("pydantic-core", "2.27.1"),
            ("psycopg", "3.2.3"),
            ("uvicorn", "0.32.1"),
        )
    )
    out = Out()
    if ctx.rng.random() < 0.5:
        for total in (4, 3, 2, 1, 0):
            out.add(
                f"WARNING: Retrying (Retry(total={total}, connect=None, read=None, "
                "redirect=None, status=None)) after connection broken by 'ProtocolError("
                "'Connection aborted.', ConnectionResetError(104, 'Connection reset by "
                f"peer'))': /simple/{pkg}/",
                cause=total == 0,
            )
        out.add(
            f"ERROR: Could not find a version that satisfies the requirement {pkg}=={ver} "
            f"(from versions: none)",
            f"ERROR: No matching distribution found for {pkg}=={ver}",
            cause=True,
        )
    else:
        blob = f"{ctx.rng.getrandbits(64):016x}"
        url = f"https://files.pythonhosted.org/packages/{blob}/{pkg}-{ver}-py3-none-any.whl"
        out.add(
            f"ERROR: HTTP error 503 while getting {url}",
            f"ERROR: Could not install requirement {pkg}=={ver} from {url} because of HTTP "
            f"error 503 Server Error: Service Unavailable for url: {url}",
            cause=True,
        )
    out.exit_code = 1
    return out


def _npm_log(ctx: LogCtx, p: str) -> str:
    return (
        f"{p} A complete log of this run can be found in: /home/runner/.npm/_logs/"
        f"{ctx.rng.randint(10, 23)}_{ctx.rng.randint(10, 59)}_{ctx.rng.randint(100, 999)}Z-"
        "debug-0.log"
    )


def _net_npm(ctx: LogCtx, f: Fault) -> Out:
    p = node_info(ctx)[2]
    pkg = ctx.rng.choice(("@babel%2fcore", "typescript", "@testing-library%2freact", "vite"))
    out = Out()
    if ctx.rng.random() < 0.5:
        out.add(
            f"{p} code ECONNRESET",
            f"{p} syscall read",
            f"{p} errno ECONNRESET",
            f"{p} network request to https://registry.npmjs.org/{pkg} failed, reason: read "
            "ECONNRESET",
            cause=True,
        )
        out.add(
            f"{p} network This is a problem related to network connectivity.",
            f"{p} network In most cases you are behind a proxy or have bad network settings.",
            f"{p} network",
            f"{p} network If you are behind a proxy, please make sure that the",
            f"{p} network 'proxy' config is set properly.  See: 'npm help config'",
        )
    else:
        out.add(
            f"{p} code E503",
            f"{p} 503 Service Unavailable - GET https://registry.npmjs.org/{pkg}",
            cause=True,
        )
    out.add("", _npm_log(ctx, p))
    out.exit_code = 1
    return out


def _npm_e404(ctx: LogCtx, f: Fault) -> Out:
    p, d = node_info(ctx)[2], f.detail
    enc = d["pkg"].replace("/", "%2f")
    out = Out().add(
        f"{p} code E404",
        f"{p} 404 Not Found - GET https://registry.npmjs.org/{enc} - Not found",
        f"{p} 404",
        f"{p} 404  '{d['pkg']}@{d['ver']}' is not in this registry.",
        cause=True,
    )
    out.add(
        f"{p} 404",
        f"{p} 404 Note that you can also install from a",
        f"{p} 404 tarball, folder, http url, or git url.",
        "",
        _npm_log(ctx, p),
    )
    out.exit_code = 1
    return out


def _npm_eresolve(ctx: LogCtx, f: Fault) -> Out:
    p = node_info(ctx)[2]
    out = Out().add(
        f"{p} code ERESOLVE", f"{p} ERESOLVE unable to resolve dependency tree", cause=True
    )
    out.add(
        f"{p}",
        f"{p} While resolving: shopfront-web@0.0.0",
        f"{p} Found: react@18.3.1",
        f"{p} node_modules/react",
        f'{p}   react@"^18.3.1" from the root project',
        f"{p}",
    )
    out.add(
        f"{p} Could not resolve dependency:",
        f'{p} peer react@"^19.0.0" from @testing-library/react@16.1.0',
        cause=True,
    )
    out.add(
        f"{p} node_modules/@testing-library/react",
        f'{p}   dev @testing-library/react@"16.1.0" from the root project',
        f"{p}",
        f"{p} Fix the upstream dependency conflict, or retry",
        f"{p} this command with --force or --legacy-peer-deps",
        f"{p} to accept an incorrect (and potentially broken) dependency resolution.",
        f"{p}",
        f"{p}",
        _npm_log(ctx, p),
    )
    out.exit_code = 1
    return out


def _net_go(ctx: LogCtx, f: Fault) -> Out:
    mod, ver = ctx.rng.choice(
        (
            ("github.com/spf13/cobra", "v1.8.1"),
            ("golang.org/x/oauth2", "v0.24.0"),
            ("github.com/google/go-cmp", "v0.6.0"),
        )
    )
    why = ctx.rng.choice(
        (
            "dial tcp 142.251.16.141:443: i/o timeout",
            "503 Service Unavailable",
            "read: connection reset by peer",
        )
    )
    out = Out().add(
        f'go: {mod}@{ver}: Get "https://proxy.golang.org/{mod}/@v/{ver}.zip": {why}', cause=True
    )
    out.exit_code = 1
    return out


def _docker_pull(ctx: LogCtx, f: Fault) -> Out:
    out = Out()
    errors = (
        "Error response from daemon: toomanyrequests: You have reached your pull rate "
        "limit. You may increase the limit by authenticating and upgrading: "
        "https://www.docker.com/increase-rate-limit",
        'Error response from daemon: Get "https://registry-1.docker.io/v2/": received '
        "unexpected HTTP status: 503 Service Unavailable",
    )
    for attempt in range(3):
        out.add("##[command]/usr/bin/docker pull postgres:16")
        out.add(ctx.rng.choice(errors), cause=attempt == 2)
        if attempt < 2:
            out.add(
                f"Warning: Docker pull failed with exit code 1, back off "
                f"{ctx.rng.uniform(1, 10):.3f} seconds before retry."
            )
    out.add("##[error]Docker pull failed with exit code 1", cause=True)
    return out


def _docker_503(ctx: LogCtx, f: Fault) -> Out:
    img = "docker.io/library/python:3.12-slim"
    why = (
        f"failed to resolve source metadata for {img}: unexpected status from HEAD request "
        "to https://registry-1.docker.io/v2/library/python/manifests/3.12-slim: 503 Service "
        "Unavailable"
    )
    out = Out().add(f"#2 [internal] load metadata for {img}")
    out.add(f"#2 ERROR: {why}", cause=True)
    out.add("------", f" > [internal] load metadata for {img}:", "------")
    out.add(
        f"ERROR: failed to solve: python:3.12-slim: {why}",
        f"##[error]buildx failed with: ERROR: failed to solve: python:3.12-slim: {why}",
        cause=True,
    )
    return out


def _ghcr_denied(ctx: LogCtx, f: Fault) -> Out:
    tag = f"ghcr.io/acme-labs/shopfront-backend:{ctx.job.run.trigger.branch.lstrip('v')}"
    why = f"failed to push {tag}: denied: installation not allowed to Write organization package"
    out = Out().add(
        "#10 exporting to image",
        "#10 exporting layers 2.1s done",
        f"#10 writing image sha256:{ctx.rng.getrandbits(256):064x} done",
        "#10 pushing layers",
    )
    out.add(f"#10 ERROR: {why}", cause=True)
    out.add(
        f"ERROR: failed to solve: {why}",
        f"##[error]buildx failed with: ERROR: failed to solve: {why}",
        cause=True,
    )
    return out


def _goreleaser_dirty(ctx: LogCtx, f: Fault) -> Out:
    out = Out().add(
        "  • starting release...",
        "  • loading                                  path=.goreleaser.yaml",
        "  • loading environment variables",
        "  • getting and validating git state",
    )
    out.add(
        "  ⨯ release failed after 0s                  error=git is in a dirty state",
        "Please check in your pipeline what can be changing the following files:",
        "?? cli/dist/checksums.txt",
        cause=True,
    )
    out.add("", "Learn more at https://goreleaser.com/errors/dirty", "")
    out.add(
        "##[error]The process '/opt/hostedtoolcache/goreleaser-action/2.5.0/x64/goreleaser'"
        " failed with exit code 1",
        cause=True,
    )
    return out


def _action_503(ctx: LogCtx, f: Fault) -> Out:
    url = (
        "https://api.github.com/repos/actions/setup-python/tarball/"
        "0b93645e9fea7318ecaed2b359559ac225c90a2b"
    )
    out = Out()
    for _ in range(2):
        out.add(
            f"##[warning]Failed to download action '{url}'. Error: Response status code does "
            "not indicate success: 503 (Service Unavailable).",
            f"##[warning]Back off {ctx.rng.uniform(10, 30):.3f} seconds before retry.",
        )
    out.add(
        "##[error]Response status code does not indicate success: 503 (Service Unavailable).",
        cause=True,
    )
    return out


def _action_ref(ctx: LogCtx, f: Fault) -> Out:
    d = f.detail
    return Out().add(
        f"##[error]Unable to resolve action `{d['action']}`, unable to find version `{d['ver']}`",
        cause=True,
    )


def _oom_killed(ctx: LogCtx, f: Fault) -> Out:
    pid = ctx.rng.randint(1800, 9000)
    script = f"/home/runner/work/_temp/{ctx.rng.getrandbits(128):032x}.sh"
    out = Out().add(
        f"{script}: line 1: {pid} Killed                  python -m pytest "
        f"-p no:cacheprovider --junitxml=reports/{ctx.job.spec.report}",
        cause=True,
    )
    out.exit_code = 137
    return out


def _oom_node(ctx: LogCtx, f: Fault) -> Out:
    pid, addr = ctx.rng.randint(1800, 9000), f"0x{ctx.rng.getrandbits(28):07x}"
    out = Out().add("", "<--- Last few GCs --->", "")
    out.add(
        f"[{pid}:{addr}]    {ctx.rng.randint(60000, 140000)} ms: Mark-Compact (reduce) "
        "2041.3 (2083.6) -> 2040.1 (2084.1) MB, 1504.51 / 0.00 ms  (average mu = 0.121, "
        "current mu = 0.012) allocation failure; scavenge might not succeed",
        cause=True,
    )
    out.add("", "", "<--- JS stacktrace --->", "")
    out.add(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        cause=True,
    )
    out.add(
        "----- Native stack trace -----",
        "",
        " 1: 0xb8cf83 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]",
        " 2: 0xf05b50 v8::Utils::ReportOOMFailure(v8::internal::Isolate*, char const*, "
        "v8::OOMDetails const&) [node]",
        " 3: 0xf05e37 v8::internal::V8::FatalProcessOutOfMemory(v8::internal::Isolate*, char "
        "const*, v8::OOMDetails const&) [node]",
        " 4: 0x1117b55  [node]",
        " 5: 0x112f9d8 v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace, "
        "v8::internal::GarbageCollectionReason, v8::GCCallbackFlags) [node]",
    )
    out.add("Aborted (core dumped)", cause=True)
    out.exit_code = 134
    return out


FAIL_RENDERERS: dict[str, Callable[[LogCtx, Fault], Out]] = {
    "ruff": _ruff,
    "ruff_format": _ruff_format,
    "mypy": _mypy,
    "mypy_upstream": _mypy,
    "eslint": _eslint,
    "tsc": _tsc,
    "go_build": _go,
    "go_vet": _go,
    "pip_missing": _pip_missing,
    "pip_resolution": _pip_resolution,
    "net_pip": _net_pip,
    "net_npm": _net_npm,
    "npm_e404": _npm_e404,
    "npm_eresolve": _npm_eresolve,
    "net_go": _net_go,
    "docker_pull": _docker_pull,
    "docker_503": _docker_503,
    "ghcr_denied": _ghcr_denied,
    "goreleaser_dirty": _goreleaser_dirty,
    "action_503": _action_503,
    "action_ref": _action_ref,
    "oom_killed": _oom_killed,
    "oom_node": _oom_node,
}
