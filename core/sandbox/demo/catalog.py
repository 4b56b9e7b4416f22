"""Static description of the simulated repository ``acme-labs/shopfront``.

Everything here is constant: people, workflows, jobs, their steps and their runners. Keeping the
catalogue apart from the simulation lets the timeline, the log renderer and the workflow YAML
agree on one list of job names and step names without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ACTORS",
    "BOT",
    "DEMO_REPO",
    "JOBS",
    "OS_INFO",
    "REPO_ID",
    "WORKFLOWS",
    "Actor",
    "JobSpec",
    "OsInfo",
    "StepSpec",
    "WorkflowSpec",
    "jobs_of",
]

DEMO_REPO = "acme-labs/shopfront"
REPO_ID = 781_442_913
OWNER_ID = 98_311_207


@dataclass(frozen=True)
class Actor:
    """A person (or bot) who pushes, opens pull requests and merges."""

    login: str
    id: int
    name: str
    email: str
    kind: str = "User"
    components: tuple[str, ...] = ()


ACTORS: tuple[Actor, ...] = (
    Actor(
        "maya-chen", 5_120_331, "Maya Chen", "maya.chen@acme-labs.io", "User", ("backend", "web")
    ),
    Actor(
        "tkowalski", 8_904_112, "Tomasz Kowalski", "tomasz@acme-labs.io", "User", ("api", "backend")
    ),
    Actor("priya-r", 31_277_845, "Priya Raman", "priya.raman@acme-labs.io", "User", ("web",)),
    Actor(
        "dan-okafor", 44_019_266, "Daniel Okafor", "dan.okafor@acme-labs.io", "User", ("cli", "ci")
    ),
    Actor("lferrari", 12_660_478, "Lucia Ferrari", "lucia.ferrari@acme-labs.io", "User", ("api",)),
    Actor(
        "swhitfield", 60_415_902, "Sam Whitfield", "sam@acme-labs.io", "User", ("backend", "docs")
    ),
    Actor(
        "jbergstrom",
        23_988_150,
        "Jonas Bergström",
        "jonas.bergstrom@acme-labs.io",
        "User",
        ("web", "ci"),
    ),
    Actor("nkim-dev", 71_302_664, "Nari Kim", "nari.kim@acme-labs.io", "User", ("backend", "cli")),
)
BOT = Actor(
    "dependabot[bot]",
    49_699_333,
    "dependabot[bot]",
    "49699333+dependabot[bot]@users.noreply.github.com",
    "Bot",
    (),
)


@dataclass(frozen=True)
class OsInfo:
    """What a hosted runner image prints in 'Set up job' and where it keeps things."""

    label: str
    family: str  # linux | windows | macos
    os_lines: tuple[str, ...]
    image: str
    readme: str
    workdir: str
    toolcache: str
    shell: str
    arch: str
    queue_median_s: float
    speed: float  # relative wall-clock factor for the same work


OS_INFO: dict[str, OsInfo] = {
    "ubuntu-latest": OsInfo(
        "ubuntu-latest",
        "linux",
        ("Ubuntu", "24.04.3", "LTS"),
        "ubuntu-24.04",
        "ubuntu24/{v}/images/ubuntu/Ubuntu2404-Readme.md",
        "/home/runner/work/shopfront/shopfront",
        "/opt/hostedtoolcache",
        "/usr/bin/bash -e {0}",
        "x64",
        4.0,
        1.0,
    ),
    "ubuntu-22.04": OsInfo(
        "ubuntu-22.04",
        "linux",
        ("Ubuntu", "22.04.5", "LTS"),
        "ubuntu-22.04",
        "ubuntu22/{v}/images/ubuntu/Ubuntu2204-Readme.md",
        "/home/runner/work/shopfront/shopfront",
        "/opt/hostedtoolcache",
        "/usr/bin/bash -e {0}",
        "x64",
        5.0,
        1.05,
    ),
    "windows-latest": OsInfo(
        "windows-latest",
        "windows",
        ("Microsoft Windows Server 2022", "10.0.20348", "Datacenter"),
        "windows-2022",
        "win22/{v}/images/windows/Windows2022-Readme.md",
        "D:\\a\\shopfront\\shopfront",
        "C:\\hostedtoolcache\\windows",
        "C:\\Program Files\\PowerShell\\7\\pwsh.EXE -command \". '{0}'\"",
        "x64",
        9.0,
        1.9,
    ),
    "macos-14": OsInfo(
        "macos-14",
        "macos",
        ("macOS", "14.7.6", "23H626"),
        "macos-14-arm64",
        "macos-14-arm64/{v}/images/macos/macos-14-arm64-Readme.md",
        "/Users/runner/work/shopfront/shopfront",
        "/Users/runner/hostedtoolcache",
        "/bin/bash -e {0}",
        "arm64",
        28.0,
        0.85,
    ),
}


@dataclass(frozen=True)
class StepSpec:
    """One step as GitHub lists it; ``kind`` selects the log renderer.

    ``fixed`` seconds are spent regardless of the job's size, ``share`` splits the variable
    part of the job's duration. ``always`` steps run after a failure (``if: always()``).
    """

    name: str
    kind: str
    fixed: float = 1.0
    share: float = 0.0
    always: bool = False
    post: bool = False


def _s(
    name: str, kind: str, fixed: float = 1.0, share: float = 0.0, always: bool = False
) -> StepSpec:
    return StepSpec(name, kind, fixed, share, always)


def _post(name: str) -> StepSpec:
    return StepSpec(f"Post {name}", "post", 0.6, 0.0, True, True)


SETUP = _s("Set up job", "setup_job", 2.5)
CHECKOUT = _s("Run actions/checkout@v4", "checkout", 1.5)
COMPLETE = StepSpec("Complete job", "complete", 0.3, 0.0, True, True)


@dataclass(frozen=True)
class JobSpec:
    """A job (one matrix leg) of a workflow, with everything the simulator needs."""

    name: str
    workflow: str
    os: str
    toolchain: str
    steps: tuple[StepSpec, ...]
    median_s: float
    sigma: float
    timeout_min: int
    suite: str | None = None
    artifact: str | None = None
    report: str | None = None
    needs: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    push_only: bool = False
    filter: str | None = None  # paths-filter output that must be true on pull requests


def _py_job(name: str, os: str, py: str, median: float, workflow: str = "CI") -> JobSpec:
    containers = os.startswith("ubuntu")
    steps = [SETUP]
    if containers:
        steps.append(_s("Initialize containers", "containers", 9.0))
    steps += [
        CHECKOUT,
        _s(f"Set up Python {py}", "setup_python", 2.0),
        _s("Install dependencies", "install_py", 6.0, 0.18),
        _s("Run pytest", "pytest", 3.0, 0.82),
        _s("Upload test results", "upload", 1.5, 0.0, True),
        _post(f"Set up Python {py}"),
        _post("Run actions/checkout@v4"),
    ]
    if containers:
        steps.append(StepSpec("Stop containers", "stop_containers", 1.2, 0.0, True, True))
    steps.append(COMPLETE)
    tag = "windows" if os.startswith("windows") else py
    ci = workflow == "CI"
    return JobSpec(
        name,
        workflow,
        os,
        "pytest",
        tuple(steps),
        median,
        0.16,
        25 if os.startswith("windows") else 20,
        "backend",
        f"pytest-results-{tag}",
        f"pytest-{tag}.xml",
        ("changes",) if ci else (),
        params={"python": py},
        filter="backend" if ci else None,
    )


def _go_job(os: str, median: float, workflow: str = "CI") -> JobSpec:
    steps = (
        SETUP,
        CHECKOUT,
        _s("Set up Go", "setup_go", 3.0),
        _s("Download modules", "go_mod", 2.0, 0.08),
        _s("Vet", "go_vet", 2.0, 0.17),
        _s("Test", "gotest", 2.0, 0.75),
        _s("Upload test results", "upload", 1.5, 0.0, True),
        _post("Set up Go"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    )
    ci = workflow == "CI"
    return JobSpec(
        f"cli ({os})",
        workflow,
        os,
        "gotest",
        steps,
        median,
        0.18,
        10,
        "cli",
        f"go-test-results-{os}",
        "report.xml",
        ("changes",) if ci else (),
        params={"go": "1.23"},
        filter="cli" if ci else None,
    )


_CHANGES = JobSpec(
    "changes",
    "CI",
    "ubuntu-latest",
    "changes",
    (
        SETUP,
        CHECKOUT,
        _s("Run dorny/paths-filter@v3", "paths_filter", 1.5),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    9.0,
    0.2,
    5,
)

_LINT = JobSpec(
    "lint",
    "CI",
    "ubuntu-latest",
    "lint",
    (
        SETUP,
        CHECKOUT,
        _s("Set up Python 3.12", "setup_python", 2.0),
        _s("Set up Node.js", "setup_node", 2.0),
        _s("Install tooling", "install_lint", 5.0, 0.34),
        _s("Ruff", "ruff", 1.0, 0.06),
        _s("Mypy", "mypy", 2.0, 0.28),
        _s("ESLint", "eslint", 2.0, 0.18),
        _s("Type-check web", "tsc", 2.0, 0.14),
        _post("Set up Node.js"),
        _post("Set up Python 3.12"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    95.0,
    0.14,
    10,
    params={"python": "3.12"},
)

_FRONTEND = JobSpec(
    "frontend-tests",
    "CI",
    "ubuntu-latest",
    "jest",
    (
        SETUP,
        CHECKOUT,
        _s("Set up Node.js", "setup_node", 2.0),
        _s("Install dependencies", "install_node", 4.0, 0.3),
        _s("Run jest", "jest", 3.0, 0.7),
        _s("Upload test results", "upload", 1.5, 0.0, True),
        _post("Set up Node.js"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    205.0,
    0.15,
    15,
    "web",
    "jest-results",
    "junit.xml",
    ("changes",),
    filter="web",
)

_API = JobSpec(
    "api-service",
    "CI",
    "ubuntu-latest",
    "maven",
    (
        SETUP,
        CHECKOUT,
        _s("Set up JDK 21", "setup_java", 3.0),
        _s("Build and test", "maven", 5.0, 1.0),
        _s("Merge test reports", "merge_reports", 2.5, 0.0, True),
        _s("Upload test results", "upload", 1.5, 0.0, True),
        _post("Set up JDK 21"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    320.0,
    0.15,
    25,
    "api",
    "surefire-reports",
    "TEST-shopfront-api.xml",
    ("changes",),
    filter="api",
)

_DOCKER = JobSpec(
    "build-docker",
    "CI",
    "ubuntu-latest",
    "docker",
    (
        SETUP,
        CHECKOUT,
        _s("Set up Docker Buildx", "setup_buildx", 6.0),
        _s("Build image", "docker_build", 5.0, 1.0),
        _post("Build image"),
        _post("Set up Docker Buildx"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    170.0,
    0.2,
    20,
    needs=("backend-tests", "frontend-tests", "api-service"),
    push_only=True,
)

_E2E = JobSpec(
    "e2e",
    "Nightly",
    "ubuntu-latest",
    "e2e",
    (
        SETUP,
        CHECKOUT,
        _s("Set up Python 3.12", "setup_python", 2.0),
        _s("Install dependencies", "install_py", 8.0, 0.1),
        _s("Install Playwright browsers", "playwright_install", 12.0, 0.06),
        _s("Start stack", "compose_up", 20.0, 0.08),
        _s("Run end-to-end tests", "pytest", 5.0, 0.76),
        _s("Upload test results", "upload", 1.5, 0.0, True),
        _post("Set up Python 3.12"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    880.0,
    0.12,
    30,
    "e2e",
    "e2e-results",
    "e2e.xml",
    params={"python": "3.12"},
)


def _codeql(lang: str, median: float) -> JobSpec:
    steps = (
        SETUP,
        CHECKOUT,
        _s("Initialize CodeQL", "codeql_init", 14.0),
        _s("Perform CodeQL Analysis", "codeql_analyze", 10.0, 1.0),
        _post("Perform CodeQL Analysis"),
        _post("Initialize CodeQL"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    )
    return JobSpec(
        f"analyze ({lang})",
        "CodeQL",
        "ubuntu-latest",
        "codeql",
        steps,
        median,
        0.13,
        30,
        params={"language": lang},
    )


_PUBLISH = JobSpec(
    "publish-images",
    "Release",
    "ubuntu-latest",
    "docker",
    (
        SETUP,
        CHECKOUT,
        _s("Log in to GHCR", "docker_login", 2.0),
        _s("Set up Docker Buildx", "setup_buildx", 6.0),
        _s("Build and push", "docker_push", 6.0, 1.0),
        _post("Build and push"),
        _post("Set up Docker Buildx"),
        _post("Log in to GHCR"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    410.0,
    0.15,
    30,
    params={"push": "true"},
)

_RELEASE_CLI = JobSpec(
    "release-cli",
    "Release",
    "ubuntu-latest",
    "goreleaser",
    (
        SETUP,
        _s("Run actions/checkout@v4", "checkout", 3.0),
        _s("Set up Go", "setup_go", 3.0),
        _s("Run GoReleaser", "goreleaser", 5.0, 1.0),
        _post("Set up Go"),
        _post("Run actions/checkout@v4"),
        COMPLETE,
    ),
    250.0,
    0.14,
    20,
)

JOBS: tuple[JobSpec, ...] = (
    _CHANGES,
    _LINT,
    _py_job("backend-tests (3.11)", "ubuntu-22.04", "3.11", 250.0),
    _py_job("backend-tests (3.12)", "ubuntu-latest", "3.12", 240.0),
    _FRONTEND,
    _API,
    _go_job("ubuntu-latest", 105.0),
    _go_job("macos-14", 95.0),
    _DOCKER,
    _E2E,
    _py_job("backend-tests (windows-latest)", "windows-latest", "3.12", 260.0, "Nightly"),
    _codeql("python", 230.0),
    _codeql("javascript-typescript", 290.0),
    _PUBLISH,
    _RELEASE_CLI,
)


@dataclass(frozen=True)
class WorkflowSpec:
    """A workflow file: its id, name, path and when it was added."""

    key: str
    id: int
    name: str
    path: str
    created_at: str


WORKFLOWS: tuple[WorkflowSpec, ...] = (
    WorkflowSpec("CI", 61_200_471, "CI", ".github/workflows/ci.yml", "2024-03-11T09:12:40Z"),
    WorkflowSpec(
        "Nightly", 61_200_472, "Nightly", ".github/workflows/nightly.yml", "2024-03-11T09:12:40Z"
    ),
    WorkflowSpec(
        "Release", 64_915_003, "Release", ".github/workflows/release.yml", "2024-05-02T14:51:07Z"
    ),
    WorkflowSpec(
        "CodeQL", 70_338_819, "CodeQL", ".github/workflows/codeql.yml", "2024-08-19T08:30:55Z"
    ),
)


def jobs_of(workflow: str) -> list[JobSpec]:
    """The job specs of one workflow, in the order GitHub lists them."""
    return [job for job in JOBS if job.workflow == workflow]
