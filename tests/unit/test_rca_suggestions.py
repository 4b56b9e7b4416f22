"""The root cause's "suggested next step", specified on logs written for these tests.

The rule: a suggestion is never ``unknown`` and never empty. When no rule knows a specific fix it
still says what the evidence shows (the package and version, the failing test and its check, the
step, its exit code and command, the strongest lines) and then the generic next step of the error
class; every suggestion cites line numbers of the log, and the lines it cites say what it claims.
Logs of several tools (GitHub Actions, Travis, GitLab) are used so no cue is one format's.
"""

from __future__ import annotations

import re

import pytest

from agents.root_cause.analysis import CATEGORIES, analyse_log
from agents.root_cause.suggest import NEXT_STEPS, Evidence, suggest
from tests.unit.test_root_cause import SNIPPETS, ci_log

STAMP = "2025-03-04T05:06:07.1234567Z "


def gha_step(command: str, output: list[str], *, before: int = 40) -> str:
    """A GitHub Actions job log: ordinary set-up lines, then one ``run:`` step and its output."""
    lines = [f"{STAMP}Fetching dependency {i} of {before} ... done" for i in range(before)]
    lines += [
        f"{STAMP}##[group]Run {command}",
        f"{STAMP}\x1b[36;1m{command}\x1b[0m",
        f"{STAMP}shell: /usr/bin/bash -e {{0}}",
        f"{STAMP}##[endgroup]",
    ]
    return "\n".join(lines + [STAMP + line for line in output])


def cited(suggestion: str) -> list[int]:
    """Line numbers a suggestion cites: ``(line 12)`` and ``lines 40-52``."""
    numbers = [int(n) for n in re.findall(r"\bline (\d+)", suggestion)]
    for a, b in re.findall(r"\blines (\d+)-(\d+)", suggestion):
        numbers += range(int(a), int(b) + 1)
    return numbers


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line holding ``needle``."""
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def assert_grounded(suggestion: str, text: str) -> None:
    """Not ``unknown``, not empty, and every line it cites exists in the log."""
    assert suggestion.strip() and suggestion.strip().lower() != "unknown"
    numbers = cited(suggestion)
    assert numbers, f"cites no line: {suggestion}"
    assert all(1 <= n <= len(text.split("\n")) for n in numbers)


def test_an_npm_eresolve_names_the_packages_and_versions_it_shows_and_where():
    text = gha_step(
        "npm ci",
        [
            "npm error code ERESOLVE",
            "npm error ERESOLVE unable to resolve dependency tree",
            "npm error",
            "npm error While resolving: storefront@0.0.0",
            "npm error Found: vue@3.4.21",
            "npm error node_modules/vue",
            'npm error   vue@"^3.4.21" from the root project',
            "npm error",
            "npm error Could not resolve dependency:",
            'npm error peer vue@"^2.7.0" from vue-chartjs@4.1.2',
            "npm error node_modules/vue-chartjs",
            "npm error",
            "##[error]Process completed with exit code 1.",
        ],
    )
    result = analyse_log(text, failed_step="Install dependencies")
    assert result.category == "dependency_resolution"
    assert_grounded(result.suggestion, text)
    assert f"`vue@3.4.21` (line {line_of(text, 'Found: vue@3.4.21')})" in result.suggestion
    assert "vue-chartjs@4.1.2" in result.suggestion
    assert "storefront@0.0.0" not in result.suggestion  # the project itself is not the culprit
    assert "exit code 1" in result.suggestion and "`npm ci`" in result.suggestion
    assert result.suggestion.endswith(NEXT_STEPS["dependency_resolution"])


def test_a_pip_conflict_names_the_pinned_package_and_the_one_that_depends_on_another_version():
    text = gha_step(
        "pip install -r requirements.txt",
        [
            "Collecting grpcio-status==1.66.0 (from -r requirements.txt (line 3))",
            "ERROR: Cannot install -r requirements.txt (line 3) and protobuf==4.21.0 because these "
            "package versions have conflicting dependencies.",
            "",
            "The conflict is caused by:",
            "    The user requested protobuf==4.21.0",
            "    grpcio-status 1.66.0 depends on protobuf<6.0dev and >=5.26.1",
            "",
            "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/",
            "##[error]Process completed with exit code 1.",
        ],
    )
    result = analyse_log(text, failed_step="Install")
    assert_grounded(result.suggestion, text)
    assert "protobuf==4.21.0" in result.suggestion
    assert "grpcio-status 1.66.0" in result.suggestion
    assert "unknown" not in result.suggestion


def test_a_pytest_assertion_names_the_failing_test_and_its_check_at_their_lines():
    text = gha_step(
        "pytest -q",
        [
            "..F.....",
            "=================================== FAILURES ===================================",
            "_________________________________ test_total __________________________________",
            "    def test_total():",
            ">       assert basket_total([2, 3]) == 6",
            "E       assert 5 == 6",
            "tests/test_basket.py:9: AssertionError",
            "=========================== short test summary info ============================",
            "FAILED tests/test_basket.py::test_total - assert 5 == 6",
            "1 failed, 7 passed in 0.12s",
            "##[error]Process completed with exit code 1.",
        ],
    )
    result = analyse_log(text, failed_step="Run tests")
    lines = text.split("\n")
    assert result.category == "test_failure"
    assert_grounded(result.suggestion, text)
    assert "test_total" in result.suggestion and "assert 5 == 6" in result.suggestion
    assert all(
        "test_total" in lines[n - 1] or "5 == 6" in lines[n - 1] for n in cited(result.suggestion)
    )


def test_a_jest_failure_names_the_test_and_what_it_expected_and_received():
    text = gha_step(
        "npx jest --ci",
        [
            "PASS src/cart.test.ts",
            "FAIL src/price.test.ts",
            "  ● Price › rounds half up",
            "",
            "    expect(received).toBe(expected) // Object.is equality",
            "",
            "    Expected: 13",
            "    Received: 12",
            "",
            "Tests:       1 failed, 9 passed, 10 total",
            "##[error]Process completed with exit code 1.",
        ],
    )
    result = analyse_log(text, failed_step="Unit tests")
    assert result.category == "test_failure"
    assert_grounded(result.suggestion, text)
    assert "Price › rounds half up" in result.suggestion
    assert "expected `13` but got `12`" in result.suggestion


def test_a_bare_exit_code_with_no_recognisable_error_names_the_step_exit_code_command_and_lines():
    text = gha_step(
        "make test",
        ["compiling 14 objects", "linking libshop.a", "running the suite", "suite finished"]
        + ["##[error]Process completed with exit code 2."],
    )
    result = analyse_log(text, failed_step="Run tests")
    exit_line = line_of(text, "exit code 2")
    assert_grounded(result.suggestion, text)
    assert result.suggestion.startswith(
        f"The step `Run tests` failed with exit code 2 (line {exit_line}) after `make test` "
        f"(line {line_of(text, '##[group]Run make test')})"
    )
    start, end = result.lines[0]
    assert (f"lines {start}-{end}" if start != end else f"line {start}") in result.suggestion
    assert result.suggestion.endswith(NEXT_STEPS[result.category])


def test_a_log_of_class_unknown_quotes_its_strongest_line_and_says_where_to_start():
    text = gha_step(
        "./scripts/release.sh",
        [
            "packing artefacts",
            "release: the signing key is not loaded into the agent",
            "##[error]Process completed with exit code 3.",
        ],
    )
    result = analyse_log(text, failed_step="Release")
    assert result.category == "unknown"
    assert_grounded(result.suggestion, text)
    assert "exit code 3" in result.suggestion and "`./scripts/release.sh`" in result.suggestion
    assert "the signing key is not loaded" in result.suggestion
    assert result.suggestion.endswith(NEXT_STEPS["unknown"])


@pytest.mark.parametrize(
    ("header", "footer", "code"),
    [
        ("$ make check", 'The command "make check" exited with 2.', "2"),  # Travis
        ("$ make check", "ERROR: Job failed: exit code 4", "4"),  # GitLab
    ],
)
def test_other_ci_systems_get_the_command_and_exit_code_from_their_own_markers(
    header, footer, code
):
    body = [f"make[1]: entering directory 'src/module{i}'" for i in range(50)]
    text = "\n".join(body + [header, "checking the schema", "schema mismatch in orders", footer])
    result = analyse_log(text)
    assert_grounded(result.suggestion, text)
    assert f"exit code {code} (line {line_of(text, footer)})" in result.suggestion
    assert "`make check`" in result.suggestion


def test_a_cancelled_job_cites_the_cancel_and_the_last_output_before_it():
    text = gha_step(
        "go test ./...", ["ok  \tshop/cart\t0.41s", "##[error]The operation was canceled."]
    )
    text += "\n" + "\n".join([f"{STAMP}Post job cleanup.", f"{STAMP}with:", f"{STAMP}  name: x"])
    result = analyse_log(text)
    assert result.category == "cancelled"
    cancel, before = line_of(text, "operation was canceled"), line_of(text, "shop/cart")
    assert f"was cancelled (line {cancel})" in result.suggestion
    assert f"`ok shop/cart 0.41s` (line {before})" in result.suggestion
    assert max(cited(result.suggestion)) == cancel  # nothing after the cancel is cited


@pytest.mark.parametrize("category", sorted(SNIPPETS))
def test_every_class_gets_a_grounded_suggestion(category):
    text = ci_log(SNIPPETS[category])
    result = analyse_log(text)
    assert_grounded(result.suggestion, text)
    lines = text.split("\n")
    assert any(lines[n - 1].strip() for n in cited(result.suggestion))


@pytest.mark.parametrize("category", CATEGORIES)
def test_without_specifics_each_class_says_what_the_lines_show_then_its_generic_next_step(category):
    lines = [(7, "the worker failed unexpectedly"), (8, "giving up")]
    evidence = Evidence(
        lines=lines,
        ranges=((7, 8),),
        step="Build",
        headline=(7, "the worker failed unexpectedly"),
        end=[(9, "##[error]Process completed with exit code 1.")],
    )
    advice = suggest(category, lines, evidence)
    assert advice != "unknown"
    if advice.startswith("The step"):  # no rule found specifics: the generic sentence
        assert "lines 7-8" in advice and "the worker failed unexpectedly" in advice
        assert advice.endswith(NEXT_STEPS[category])
    assert cited(advice)


def test_a_log_with_no_localised_line_still_cites_where_it_ends():
    advice = suggest("unknown", [], Evidence(tail=(30, "all done")))
    assert advice != "unknown" and "line 30" in advice and "all done" in advice
