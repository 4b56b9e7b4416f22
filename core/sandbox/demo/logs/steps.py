"""Log text of the steps every job has: queueing, 'Set up job', checkout, containers, artifact
upload, post steps and 'Complete job' — as the hosted runner and the official actions print them.
"""

from __future__ import annotations

import time
import uuid

from core.sandbox.demo.catalog import DEMO_REPO
from core.sandbox.demo.logs.builder import LogCtx

__all__ = [
    "ACTION_OF",
    "checkout",
    "complete",
    "containers",
    "post",
    "queue_lines",
    "run_header",
    "setup_job",
    "stop_containers",
    "upload",
    "uses_header",
]

ACTION_OF = {
    "checkout": ("actions/checkout@v4", "11bd71901bbe5b1630ceea73d27597364c9af683"),
    "setup_python": ("actions/setup-python@v5", "0b93645e9fea7318ecaed2b359559ac225c90a2b"),
    "setup_node": ("actions/setup-node@v4", "39370e3970a6d050c480ffad4ff0ed4d3fdee5af"),
    "setup_java": ("actions/setup-java@v4", "8df1039502a15bceb9433410b1a100fbe190c53b"),
    "setup_go": ("actions/setup-go@v5", "3041bf56c941b39c61721a86cd11f3bb1338122a"),
    "upload": ("actions/upload-artifact@v4", "6f51ac03b9356f520e9adb1b1b7802705f340c2b"),
    "setup_buildx": ("docker/setup-buildx-action@v3", "6524bf65af31da8d45b59e8c27de4bd072b392f5"),
    "docker_build": ("docker/build-push-action@v6", "48aba3b46d1b1fec4febb7c5d0c644b249a11355"),
    "docker_push": ("docker/build-push-action@v6", "48aba3b46d1b1fec4febb7c5d0c644b249a11355"),
    "docker_login": ("docker/login-action@v3", "9780b0c442fbb1117ed29e0efdff1e18412f7567"),
    "codeql_init": ("github/codeql-action/init@v3", "df409f7d9260372bd5f19e5b04e83cb3c43714ae"),
    "codeql_analyze": (
        "github/codeql-action/analyze@v3",
        "df409f7d9260372bd5f19e5b04e83cb3c43714ae",
    ),
    "goreleaser": ("goreleaser/goreleaser-action@v6", "9ed2f89a662bf1735a48bc8557fd212fa902bebf"),
    "paths_filter": ("dorny/paths-filter@v3", "de90cc6fb38fc0963ad72b210f1f284cd68cea36"),
}


def _uuid(ctx: LogCtx) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def _hex(ctx: LogCtx, n: int) -> str:
    return f"{ctx.rng.getrandbits(4 * n):0{n}x}"


def _ref(ctx: LogCtx) -> str:
    trig = ctx.job.run.trigger
    if trig.event == "pull_request":
        return f"refs/pull/{trig.pr.number}/merge"
    if trig.branch.startswith("v") and trig.event == "push" and trig.workflow == "Release":
        return f"refs/tags/{trig.branch}"
    return f"refs/heads/{trig.branch}"


def queue_lines(ctx: LogCtx) -> list[str]:
    """What the log shows while the job waits for a hosted runner."""
    wf = ctx.job.run.workflow
    lines = [
        f"Requested labels: {ctx.job.spec.os}",
        f"Job defined at: {DEMO_REPO}/{wf.path}@{_ref(ctx)}",
        "Waiting for a runner to pick up this job...",
    ]
    if ctx.job.started - ctx.job.created > 60:
        lines.append("Job is waiting for a hosted runner to come online.")
    lines.append(
        f"Job is about to start running on the hosted runner: GitHub Actions "
        f"{ctx.job.runner} (hosted)"
    )
    return lines


def _image_version(ctx: LogCtx) -> str:
    t = ctx.job.started
    tm = time.gmtime(t)
    sunday = t - ((tm.tm_wday + 1) % 7) * 86400 - 6 * 86400
    return time.strftime("%Y%m%d", time.gmtime(sunday)) + ".1.0"


def setup_job(ctx: LogCtx) -> list[str]:
    """'Set up job': runner, image, token permissions, action downloads."""
    ver = _image_version(ctx)
    runner = "2.321.0" if ctx.job.frac > 0.45 else "2.320.0"
    bot = ctx.job.run.trigger.actor.kind == "Bot"
    perms = ["Contents: read", "Metadata: read", "Packages: read"]
    if ctx.job.run.workflow.key in ("Release", "CodeQL"):
        perms = [
            "Actions: read",
            "Contents: write",
            "Metadata: read",
            "Packages: write",
            "SecurityEvents: write",
        ]
    tag = ctx.os.readme.split("/")[0]
    lines = [
        f"Current runner version: '{runner}'",
        "##[group]Operating System",
        *ctx.os.os_lines,
        "##[endgroup]",
        "##[group]Runner Image",
        f"Image: {ctx.os.image}",
        f"Version: {ver}",
        "Included Software: https://github.com/actions/runner-images/blob/"
        + ctx.os.readme.format(v=ver[:-2]),
        f"Image Release: https://github.com/actions/runner-images/releases/tag/{tag}%2F{ver[:-2]}",
        "##[endgroup]",
        "##[group]Runner Image Provisioner",
        "2.0.422.1",
        "##[endgroup]",
        "##[group]GITHUB_TOKEN Permissions",
        *perms,
        "##[endgroup]",
        f"Secret source: {'Dependabot' if bot else 'Actions'}",
        "Prepare workflow directory",
        "Prepare all required actions",
        "Getting action download info",
    ]
    seen = set()
    for step in ctx.job.spec.steps:
        action = ACTION_OF.get(step.kind)
        if action and action[0] not in seen:
            seen.add(action[0])
            name = action[0].split("/action")[0] if "codeql" in action[0] else action[0]
            lines.append(f"Download action repository '{name}' (SHA:{action[1]})")
    lines.append(f"Complete job name: {ctx.job.spec.name}")
    return lines


def uses_header(action: str, inputs: dict[str, str]) -> list[str]:
    """The collapsed group a ``uses:`` step opens with."""
    return [
        f"##[group]Run {action}",
        "with:",
        *(f"  {k}: {v}" for k, v in inputs.items()),
        "##[endgroup]",
    ]


def run_header(ctx: LogCtx, script: list[str], env: dict[str, str] | None = None) -> list[str]:
    """The collapsed group a ``run:`` step opens with (script echoed in cyan)."""
    lines = [
        f"##[group]Run {script[0]}",
        *(f"\x1b[36;1m{s}\x1b[0m" for s in script),
        f"shell: {ctx.os.shell}",
    ]
    if env:
        lines.append("env:")
        lines.extend(f"  {k}: {v}" for k, v in env.items())
    lines.append("##[endgroup]")
    return lines


def _git(ctx: LogCtx) -> str:
    return {
        "linux": "/usr/bin/git",
        "macos": "/opt/homebrew/bin/git",
        "windows": '"C:\\Program Files\\Git\\bin\\git.exe"',
    }[ctx.os.family]


def _checkout_prepare(ctx: LogCtx, git: str, work: str) -> list[str]:
    temp = f"{work.rsplit(ctx.sep, 2)[0]}{ctx.sep}_temp{ctx.sep}{_uuid(ctx)}"
    return [
        f"Syncing repository: {DEMO_REPO}",
        "##[group]Getting Git version info",
        f"Working directory is '{work}'",
        f"[command]{git} version",
        "git version 2.47.1" + (".windows.1" if ctx.os.family == "windows" else ""),
        "##[endgroup]",
        f"Temporarily overriding HOME='{temp}' before making global git config changes",
        "Adding repository directory to the temporary git global config as a safe directory",
        f"[command]{git} config --global --add safe.directory {work}",
        f"Deleting the contents of '{work}'",
        "##[group]Initializing the repository",
        f"[command]{git} init {work}",
        f"Initialized empty Git repository in {work}{ctx.sep}.git{ctx.sep}",
        f"[command]{git} remote add origin https://github.com/{DEMO_REPO}",
        "##[endgroup]",
        "##[group]Disabling automatic garbage collection",
        f"[command]{git} config --local gc.auto 0",
        "##[endgroup]",
        "##[group]Setting up auth",
        f"[command]{git} config --local http.https://github.com/.extraheader "
        "AUTHORIZATION: basic ***",
        "##[endgroup]",
    ]


def checkout(ctx: LogCtx) -> list[str]:
    """actions/checkout@v4 with a depth-1 fetch of the run's ref."""
    git, work = _git(ctx), ctx.repo_dir
    trig = ctx.job.run.trigger
    ref = _ref(ctx)
    sha = _hex(ctx, 40) if trig.event == "pull_request" else trig.commit.sha
    remote = ref.replace("refs/heads/", "refs/remotes/origin/").replace(
        "refs/pull/", "refs/remotes/pull/"
    )
    lines = uses_header(
        "actions/checkout@v4",
        {
            "repository": DEMO_REPO,
            "token": "***",
            "ssh-strict": "true",
            "ssh-user": "git",
            "persist-credentials": "true",
            "clean": "true",
            "sparse-checkout-cone-mode": "true",
            "fetch-depth": "1",
            "fetch-tags": "false",
            "show-progress": "true",
            "lfs": "false",
            "submodules": "false",
            "set-safe-directory": "true",
        },
    )
    lines += _checkout_prepare(ctx, git, work)
    lines += [
        "##[group]Fetching the repository",
        f"[command]{git} -c protocol.version=2 fetch --no-tags --prune --no-recurse-"
        f"submodules --depth=1 origin +{sha}:{remote}",
        f"From https://github.com/{DEMO_REPO}",
        f" * [new ref]         {sha} -> {remote.replace('refs/remotes/', '')}",
        "##[endgroup]",
        "##[group]Determining the checkout info",
        "##[endgroup]",
        f"[command]{git} sparse-checkout disable",
        f"[command]{git} config --local --unset-all extensions.worktreeConfig",
        "##[group]Checking out the ref",
    ]
    if trig.event == "pull_request":
        lines += [
            f"[command]{git} checkout --progress --force {remote}",
            f"Note: switching to '{remote}'.",
            "",
            f"HEAD is now at {sha[:7]} Merge {trig.commit.sha} into {trig.base_sha}",
        ]
    else:
        lines += [
            f"[command]{git} checkout --progress --force -B {trig.branch} {remote}",
            f"Switched to a new branch '{trig.branch}'",
        ]
    return lines + ["##[endgroup]", f"[command]{git} log -1 --format=%H", sha]


def containers(ctx: LogCtx) -> list[str]:
    """Service containers (postgres) for the backend tests on Linux."""
    net, label, cid = f"github_network_{_hex(ctx, 32)}", _hex(ctx, 6), _hex(ctx, 64)
    layers = [_hex(ctx, 12) for _ in range(ctx.rng.randint(9, 13))]
    docker = "/usr/bin/docker"
    return [
        "##[group]Checking docker version",
        f"##[command]{docker} version --format '{{{{.Server.APIVersion}}}}'",
        "'1.47'",
        "Docker daemon API version: '1.47'",
        f"##[command]{docker} version --format '{{{{.Client.APIVersion}}}}'",
        "'1.47'",
        "Docker client API version: '1.47'",
        "##[endgroup]",
        "##[group]Clean up resources from previous jobs",
        f'##[command]{docker} ps --all --quiet --no-trunc --filter "label={label}"',
        f'##[command]{docker} network prune --force --filter "label={label}"',
        "##[endgroup]",
        "##[group]Create local container network",
        f"##[command]{docker} network create --label {label} {net}",
        _hex(ctx, 64),
        "##[endgroup]",
        "##[group]Starting postgres service container",
        f"##[command]{docker} pull postgres:16",
        "16: Pulling from library/postgres",
        *(f"{layer}: Pulling fs layer" for layer in layers),
        *(f"{layer}: Pull complete" for layer in layers),
        f"Digest: sha256:{_hex(ctx, 64)}",
        "Status: Downloaded newer image for postgres:16",
        "docker.io/library/postgres:16",
        f"##[command]{docker} create --name {cid[:32]}_postgres16_{ctx.rng.randint(1000, 9999)}"
        f" --label {label} --network {net} --network-alias postgres -p 5432:5432 "
        "--health-cmd pg_isready --health-interval 10s --health-timeout 5s "
        '--health-retries 5 -e "POSTGRES_PASSWORD=postgres" -e '
        '"POSTGRES_DB=shopfront_test" -e GITHUB_ACTIONS=true -e CI=true postgres:16',
        cid,
        f"##[command]{docker} start {cid}",
        cid,
        "##[endgroup]",
        "##[group]Waiting for all services to be ready",
        f'##[command]{docker} inspect --format="{{{{if .Config.Healthcheck}}}}{{{{print '
        f'.State.Health.Status}}}}{{{{end}}}}" {cid}',
        "starting",
        "postgres service is starting, waiting 2 seconds before checking again.",
        f'##[command]{docker} inspect --format="{{{{if .Config.Healthcheck}}}}{{{{print '
        f'.State.Health.Status}}}}{{{{end}}}}" {cid}',
        "healthy",
        "postgres service is healthy.",
        "##[endgroup]",
    ]


def stop_containers(ctx: LogCtx) -> list[str]:
    cid = _hex(ctx, 64)
    return [
        f"Print service container logs: {cid}",
        f"##[command]/usr/bin/docker logs --details {cid}",
        " PostgreSQL init process complete; ready for start up.",
        f"Stop and remove container: {cid[:32]}_postgres16_{ctx.rng.randint(1000, 9999)}",
        f"##[command]/usr/bin/docker rm --force {cid}",
        cid,
        "Remove container network: github_network_" + _hex(ctx, 32),
        "##[command]/usr/bin/docker network rm github_network_" + _hex(ctx, 32),
    ]


def upload(ctx: LogCtx, path: str, produced: bool) -> list[str]:
    """actions/upload-artifact@v4; warns (not fails) when the report was never written."""
    name = ctx.job.spec.artifact or "results"
    lines = uses_header(
        "actions/upload-artifact@v4",
        {
            "name": name,
            "path": path,
            "if-no-files-found": "warn",
            "compression-level": "6",
            "overwrite": "false",
            "include-hidden-files": "false",
        },
    )
    if not produced:
        return lines + [
            f"##[warning]No files were found with the provided path: {path}. "
            "No artifacts will be uploaded."
        ]
    size, art = ctx.artifact_size, ctx.artifact_id
    run_id = ctx.job.run.id
    return lines + [
        "With the provided path, there will be 1 file uploaded",
        "Artifact name is valid!",
        "Root directory input is valid!",
        "Beginning upload of artifact content to blob storage",
        f"Uploaded bytes {size}",
        "Finished uploading artifact content to blob storage!",
        f"SHA256 hash of uploaded artifact zip is {_hex(ctx, 64)}",
        "Finalizing artifact upload",
        f"Artifact {name}.zip successfully finalized. Artifact ID {art}",
        f"Artifact {name} has been successfully uploaded! Final size is {size} bytes. "
        f"Artifact ID is {art}",
        f"Artifact download URL: https://github.com/{DEMO_REPO}/actions/runs/{run_id}/"
        f"artifacts/{art}",
    ]


def post(ctx: LogCtx, name: str) -> list[str]:
    """Post steps: git credential cleanup, cache save decisions, builder removal."""
    git = _git(ctx)
    if "checkout" in name:
        return [
            "Post job cleanup.",
            f"[command]{git} version",
            "git version 2.47.1",
            f"[command]{git} config --local --name-only --get-regexp core\\.sshCommand",
            f"[command]{git} config --local --name-only --get-regexp "
            "http\\.https\\:\\/\\/github\\.com\\/\\.extraheader",
            "http.https://github.com/.extraheader",
            f"[command]{git} config --local --unset-all http.https://github.com/.extraheader",
        ]
    if "Set up" in name and "Buildx" not in name:
        tool = name.split("Set up ")[1].split()[0].lower().rstrip(".js")
        key = f"setup-{tool}-{ctx.os.family.title()}-{ctx.os.arch}-{_hex(ctx, 64)}"
        return [
            "Post job cleanup.",
            f"Cache hit occurred on the primary key {key}, not saving cache.",
        ]
    if "Buildx" in name:
        return [
            "Post job cleanup.",
            "##[group]Removing builder",
            f"[command]/usr/bin/docker buildx rm builder-{_uuid(ctx)}",
            "##[endgroup]",
            "##[group]Cleaning up certificates",
            "##[endgroup]",
        ]
    return ["Post job cleanup."]


def complete(ctx: LogCtx) -> list[str]:
    if ctx.os.family == "windows" and ctx.rng.random() < 0.5:
        return [
            "Cleaning up orphan processes",
            f"Terminate orphan process: pid ({ctx.rng.randint(1000, 9000)}) (dotnet)",
        ]
    return ["Cleaning up orphan processes"]
