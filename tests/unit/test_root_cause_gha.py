"""Root-cause rules for GitHub Actions job logs, specified on snippets written for these tests.

Every line carries GitHub's ISO timestamp prefix, as downloaded job logs do; the rules must read
through it. No accuracy floors here: ``bench/rca_demo_bench.py`` measures those.
"""

from __future__ import annotations

import pytest

from agents.root_cause.analysis import analyse_log


def gha_log(failure: list[str], *, setup: int = 40) -> str:
    """A job log: a setup group, then the failing step's output, each line timestamped."""
    lines = ["##[group]Run actions/checkout@v4"]
    lines += [f"Fetching object {i} of {setup} ... done" for i in range(setup)]
    lines += ["##[endgroup]", "##[group]Run make check", "shell: /usr/bin/bash -e {0}"]
    lines += ["##[endgroup]", *failure]
    return "\n".join(
        f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}.{i:07d}Z {line}" for i, line in enumerate(lines)
    )


SNIPPETS: dict[str, tuple[str, bool, list[str]]] = {
    "pytest": (
        "test_failure",
        False,
        [
            "=================================== FAILURES ===================================",
            "_________________________________ test_total ___________________________________",
            ">       assert total([1, 2]) == 4",
            "E       assert 3 == 4",
            "tests/test_cart.py:9: AssertionError",
            "=========================== short test summary info ============================",
            "FAILED tests/test_cart.py::test_total - assert 3 == 4",
            "========================= 1 failed, 41 passed in 2.31s =========================",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "pytest read timeout": (
        "test_failure",
        True,
        [
            "E       httpx.ReadTimeout: timed out",
            "tests/test_api.py:31: ReadTimeout",
            "FAILED tests/test_api.py::test_fetch - httpx.ReadTimeout: timed out",
            "========================= 1 failed, 12 passed in 9.02s =========================",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "jest": (
        "test_failure",
        False,
        [
            "PASS src/utils/format.test.ts",
            "FAIL src/widgets/Basket.test.tsx",
            "  ● Basket › shows the empty state",
            "",
            "    expect(received).toBe(expected) // Object.is equality",
            "",
            "Tests:       1 failed, 57 passed, 58 total",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "tsc": (
        "compilation",
        False,
        [
            "src/api/client.ts(12,7): error TS2322: Type 'string' is not assignable to type "
            "'number'.",
            "##[error]Process completed with exit code 2.",
        ],
    ),
    "mypy": (
        "compilation",
        False,
        [
            'app/billing.py:40: error: Argument 1 to "charge" has incompatible type "str"; '
            'expected "int"  [arg-type]',
            "Found 1 error in 1 file (checked 57 source files)",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "go build": (
        "compilation",
        False,
        [
            "# example.org/tool/internal/report",
            "internal/report/render.go:88:2: undefined: writeHeader",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "ruff": (
        "lint",
        False,
        [
            "app/views.py:3:8: F401 [*] `os` imported but unused",
            "Found 1 error.",
            "[*] 1 fixable with the `--fix` option.",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "pip resolution": (
        "dependency_resolution",
        False,
        [
            "ERROR: Cannot install -r requirements.txt (line 3) and urllib3==1.26.0 because these "
            "package versions have conflicting dependencies.",
            "The conflict is caused by:",
            "    The user requested urllib3==1.26.0",
            "    botocore 1.35.0 depends on urllib3>=1.25.4 and <2.2.0",
            "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "npm eresolve": (
        "dependency_resolution",
        False,
        [
            "npm error code ERESOLVE",
            "npm error ERESOLVE unable to resolve dependency tree",
            "npm error Could not resolve dependency:",
            "##[error]Process completed with exit code 1.",
        ],
    ),
    "timeout": (
        "timeout",
        True,
        [
            "tests/test_sync.py ....",
            "##[error]The job running on runner GitHub Actions 7 has exceeded the maximum "
            "execution time of 30 minutes.",
            "##[error]The operation was canceled.",
        ],
    ),
    "runner shutdown": (
        "infrastructure",
        True,
        [
            "Compiling 120 files",
            "##[error]The runner has received a shutdown signal. This can happen when the runner "
            "service is stopped, or a manually started runner is canceled.",
            "##[error]The operation was canceled.",
        ],
    ),
    "oom kill": (
        "resource_exhaustion",
        True,
        [
            "tests/test_images.py ......",
            "/home/runner/work/_temp/run.sh: line 1:  2412 Killed                  pytest -n 4",
            "##[error]Process completed with exit code 137.",
        ],
    ),
    "cancellation": (
        "cancelled",
        True,
        ["Running the integration suite", "##[error]The operation was canceled."],
    ),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_given_a_timestamped_actions_log_when_analysed_then_the_tool_output_names_the_class(name):
    category, transient, failure = SNIPPETS[name]
    result = analyse_log(gha_log(failure))
    assert result.category == category
    assert result.transient is transient


def test_given_a_surefire_fork_killed_with_exit_137_then_the_failed_goal_is_resource_exhaustion():
    failure = [
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.5.2:test "
        "(default-test) on project api: ",
        "[ERROR] Please refer to /work/api/target/surefire-reports for the individual results.",
        "[ERROR] ExecutionException The forked VM terminated without properly saying goodbye.",
        "[ERROR] Process Exit Code: 137",
        "##[error]Process completed with exit code 1.",
    ]
    assert analyse_log(gha_log(failure)).category == "resource_exhaustion"


def test_given_a_dependency_that_failed_to_download_then_the_goal_is_an_outage_not_a_bad_version():
    failure = [
        "[ERROR] Failed to execute goal on project api: Could not resolve dependencies for project "
        "org.example:api:jar:1.0: Could not transfer artifact org.example:util:jar:2.0 from/to "
        "central (https://repo.maven.apache.org/maven2): Connection reset",
        "##[error]Process completed with exit code 1.",
    ]
    result = analyse_log(gha_log(failure))
    assert result.category == "infrastructure" and result.transient


def test_given_a_failing_pytest_log_then_the_returned_lines_hold_the_failed_test():
    failure = SNIPPETS["pytest"][2]
    text = gha_log(failure)
    lines = text.split("\n")
    shown = {n for a, b in analyse_log(text).lines for n in range(a, b + 1)}
    assert any("FAILED tests/test_cart.py::test_total" in lines[n - 1] for n in shown)
