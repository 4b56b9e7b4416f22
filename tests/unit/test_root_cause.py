"""Root-cause analysis, specified on snippets written for these tests (no shared data)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from agents.cli import main as cli_main
from agents.root_cause.analysis import (
    CATEGORIES,
    CONTRACT_KEYS,
    FailureClassifier,
    RootCause,
    analyse_files,
    analyse_log,
    cluster_failures,
    template_of,
)


def ci_log(failure: list[str], *, before: int = 60, after: list[str] | None = None) -> str:
    """A GitHub Actions style job log: ``before`` ordinary lines, then the failure lines."""
    lines = [
        f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}.1234567Z Downloading module {i} of {before} "
        f"... done"
        for i in range(before)
    ]
    return "\n".join(lines + failure + (after or []))


SNIPPETS = {
    "compilation": [
        "[INFO] --- maven-compiler-plugin:3.11.0:compile (default-compile) @ shop ---",
        "[ERROR] COMPILATION ERROR :",
        "[ERROR] /src/main/java/com/acme/Cart.java:[42,17] cannot find symbol",
        "  symbol:   class PriceRule",
        "[INFO] BUILD FAILURE",
        "[ERROR] Failed to execute goal "
        "org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile "
        "(default-compile) on project shop: Compilation failure",
    ],
    "test_failure": [
        "=================================== FAILURES ===================================",
        "_________________________________ test_refund __________________________________",
        "    def test_refund():",
        ">       assert refund(10) == 9",
        "E       assert 10 == 9",
        "tests/test_orders.py:12: AssertionError",
        "FAILED tests/test_orders.py::test_refund - assert 10 == 9",
        "========================= 1 failed, 20 passed in 1.20s =========================",
        "##[error]Process completed with exit code 1.",
    ],
    "dependency_resolution": [
        "[ERROR] Failed to execute goal on project web: Could not resolve dependencies for project "
        "com.acme:web:jar:1.0: Could not find artifact com.acme:auth-client:jar:2.3.1 in central",
    ],
    "dependency_policy": [
        "[ERROR] Rule 0: org.apache.maven.enforcer.rules.dependency.DependencyConvergence failed "
        "with message:",
        "Dependency convergence error for org.slf4j:slf4j-api:1.7.36 paths to dependency are:",
        "[ERROR] Failed to execute goal "
        "org.apache.maven.plugins:maven-enforcer-plugin:3.3.0:enforce "
        "(enforce) on project api: Some Enforcer rules have failed.",
    ],
    "lint": [
        "src/app.js",
        "  12:5  error  'total' is assigned a value but never used  no-unused-vars",
        "✖ 1 problem (1 error, 0 warnings)",
        "##[error]Process completed with exit code 1.",
    ],
    "infrastructure": [
        "fatal: unable to access 'https://github.com/acme/app.git/': Could not resolve host: "
        "github.com",
        "##[error]Process completed with exit code 128.",
    ],
    "timeout": [
        "Running integration tests...",
        "##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution "
        "time "
        "of 360 minutes.",
    ],
    "resource_exhaustion": [
        "[INFO] Running com.acme.BigReportTest",
        "java.lang.OutOfMemoryError: Java heap space",
        "\tat java.util.Arrays.copyOf(Arrays.java:3332)",
        "##[error]Process completed with exit code 1.",
    ],
    "permissions": [
        "remote: Permission to acme/app.git denied to github-actions[bot].",
        "fatal: unable to access 'https://github.com/acme/app/': The requested URL returned "
        "error: 403",
        "##[error]Process completed with exit code 128.",
    ],
    "configuration": ["##[error]Input required and not supplied: distribution"],
    "cancelled": ["Running tests", "##[error]The operation was canceled."],
}


@pytest.mark.parametrize("category", sorted(SNIPPETS))
def test_given_a_realistic_failure_when_analysed_then_its_class_is_recognised(category):
    result = analyse_log(ci_log(SNIPPETS[category]))
    assert result.category == category
    assert 0.0 < result.confidence <= 1.0
    assert result.transient == (category in {"infrastructure", "timeout", "cancelled"})


def test_given_a_log_without_any_failure_cue_then_the_class_is_unknown_and_the_advice_says_so():
    result = analyse_log("\n".join(f"step {i}: all good" for i in range(30)))
    assert result.category == "unknown"
    assert result.suggestion != "unknown"
    assert "no error named" in result.suggestion and _cited(result.suggestion)


def test_given_a_small_log_then_ranges_are_one_based_inclusive_and_point_at_the_failure():
    failure = SNIPPETS["test_failure"]
    text = ci_log(failure, before=100)
    lines = text.split("\n")
    result = analyse_log(text)
    start, end = result.lines[0]
    assert 1 <= start <= end <= len(lines)
    shown = lines[start - 1 : end]  # 1-based inclusive
    assert any("assert 10 == 9" in line or "AssertionError" in line for line in shown)
    total = sum(b - a + 1 for a, b in result.lines)
    assert total < 0.05 * len(lines)


def test_given_line_separators_other_than_newline_then_numbering_follows_split_on_newline_only():
    text = ci_log(["page\x0cbreak in the middle", *SNIPPETS["infrastructure"]])
    result = analyse_log(text)
    lines = text.split("\n")
    start, _ = result.lines[0]
    assert "Could not resolve host" in lines[start - 1]


def test_given_a_previous_green_log_then_the_new_error_line_ranks_first():
    common = [f"Resolving package {i} ... ok" for i in range(80)]
    old = "error: optional plugin 'telemetry' not found, continuing without it"
    new = "error: database connection refused by db.internal:5432"
    green = "\n".join(common[:40] + [old] + common[40:] + ["Done in 12.3s."])
    failed = "\n".join(
        common[:40] + [new] + common[40:70] + [old] + common[70:] + ["Done in 9.1s."]
    )
    result = analyse_log(failed, previous_green=green)
    lines = failed.split("\n")
    start, end = result.lines[0]
    assert any(new == line for line in lines[start - 1 : end])


def test_given_failures_differing_only_in_numbers_paths_and_times_then_fingerprints_match():
    def failure(stamp: str, path: str, port: int) -> str:
        return ci_log(
            [
                f"{stamp} [ERROR] {path}/Cart.java:[{port % 90},17] cannot find symbol",
                "  symbol:   class PriceRule",
                "[INFO] BUILD FAILURE",
            ]
        )

    a = analyse_log(failure("2024-05-01 10:00:01", "/home/runner/work/shop/src", 4242))
    b = analyse_log(failure("2024-06-09 23:12:55", "/builds/ci/shop-7/src", 5151))
    other = analyse_log(ci_log(SNIPPETS["dependency_resolution"]))
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != other.fingerprint


def test_template_masks_what_changes_from_run_to_run():
    line = (
        "2024-05-01T10:00:00Z Timeout after 30s at /home/u/x.py:12 id 0xdeadbeef "
        "run 550e8400-e29b-41d4-a716-446655440000 see https://ci.example.com/run/9 sha 3f2a9bc1d"
    )
    assert template_of(line) == (
        "Timeout after <DUR> at <PATH>:<NUM> id <HEX> run <UUID> see <URL> sha <HEX>"
    )


def _cited(suggestion: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r"line (\d+)", suggestion)]


def test_given_a_missing_module_then_the_suggestion_names_it_and_cites_its_line():
    text = ci_log(
        [
            "Traceback (most recent call last):",
            '  File "app/main.py", line 3, in <module>',
            "    import requests_toolbelt",
            "ModuleNotFoundError: No module named 'requests_toolbelt'",
            "##[error]Process completed with exit code 1.",
        ]
    )
    result = analyse_log(text)
    lines = text.split("\n")
    assert result.category == "dependency_resolution"
    assert "requests_toolbelt" in result.suggestion
    assert any("No module named" in lines[n - 1] for n in _cited(result.suggestion))


def test_given_an_unresolvable_artifact_then_the_suggestion_names_the_dependency_and_version():
    result = analyse_log(ci_log(SNIPPETS["dependency_resolution"]))
    assert "com.acme:auth-client:jar:2.3.1" in result.suggestion
    assert _cited(result.suggestion)


def test_given_a_failing_test_then_the_suggestion_names_the_test_and_its_assertion():
    text = ci_log(
        [
            "[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0 <<< FAILURE! - in "
            "com.acme.CartTest",
            "[ERROR] com.acme.CartTest.totalIncludesTax  Time elapsed: 0.01 s  <<< FAILURE!",
            "org.opentest4j.AssertionFailedError: expected: <42> but was: <41>",
            "\tat com.acme.CartTest.totalIncludesTax(CartTest.java:31)",
            "[ERROR] Failed to execute goal "
            "org.apache.maven.plugins:maven-surefire-plugin:3.0.0:test "
            "(default-test) on project shop: There are test failures.",
        ]
    )
    result = analyse_log(text)
    assert result.category == "test_failure"
    assert "com.acme.CartTest.totalIncludesTax" in result.suggestion
    assert "expected: <42> but was: <41>" in result.suggestion
    assert _cited(result.suggestion)


def test_given_a_timeout_then_the_suggestion_gives_the_limit():
    result = analyse_log(ci_log(SNIPPETS["timeout"]))
    assert "360 minutes" in result.suggestion and _cited(result.suggestion)


def test_root_cause_json_has_exactly_the_contract_keys():
    result = analyse_log(ci_log(SNIPPETS["compilation"]))
    payload = result.to_json("job.log")
    assert tuple(payload) == CONTRACT_KEYS
    assert payload["file"] == "job.log" and payload["category"] in CATEGORIES
    assert all(isinstance(r, list) and len(r) == 2 for r in payload["lines"])
    json.dumps(payload)


def test_analysis_is_deterministic():
    text = ci_log(SNIPPETS["lint"])
    assert analyse_log(text) == analyse_log(text)


def test_given_plain_and_gzip_files_then_analyse_files_reads_both(tmp_path):
    plain = tmp_path / "a.log"
    plain.write_text(ci_log(SNIPPETS["compilation"]), encoding="utf-8")
    packed = tmp_path / "b.txt.gz"
    packed.write_bytes(gzip.compress(ci_log(SNIPPETS["timeout"]).encode("utf-8")))
    results = list(analyse_files([plain, packed]))
    assert [r["file"] for r in results] == [str(plain), str(packed)]
    assert [r["category"] for r in results] == ["compilation", "timeout"]


def test_rca_command_json_prints_one_contract_object_per_file(tmp_path, capsys):
    logs = []
    for k, category in enumerate(["compilation", "cancelled"]):
        path = tmp_path / f"job{k}.log.gz"
        path.write_bytes(gzip.compress(ci_log(SNIPPETS[category]).encode("utf-8")))
        logs.append(path)
    green = tmp_path / "green.log"
    green.write_text(ci_log([]), encoding="utf-8")
    assert cli_main(["rca", *map(str, logs), "--previous-green", str(green), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in rows] == [str(p) for p in logs]
    for row, path in zip(rows, logs, strict=True):
        n = len(gzip.decompress(path.read_bytes()).decode("utf-8").split("\n"))
        assert tuple(row) == CONTRACT_KEYS
        assert all(1 <= a <= b <= n for a, b in row["lines"])
        assert isinstance(row["confidence"], float) and isinstance(row["transient"], bool)


def test_rca_command_without_json_prints_a_readable_report_and_flags_missing_files(
    tmp_path, capsys
):
    path = tmp_path / "job.log"
    path.write_text(ci_log(SNIPPETS["infrastructure"]), encoding="utf-8")
    assert cli_main(["rca", str(path), str(tmp_path / "missing.log")]) == 1
    captured = capsys.readouterr()
    assert "infrastructure" in captured.out and "missing.log" in captured.err


def test_cluster_failures_groups_by_fingerprint_with_when_where_and_how_often():
    frame = pd.DataFrame(
        {
            "job_id": [1, 2, 3, 4],
            "fingerprint": ["aaa", "aaa", "bbb", "aaa"],
            "created_at": [
                "2024-05-01T10:00:00Z",
                "2024-05-03T10:00:00Z",
                "2024-05-02T10:00:00Z",
                "2024-05-02T10:00:00Z",
            ],
            "head_branch": ["feature-x", "main", "feature-y", "feature-x"],
            "pr_number": [12, None, 14, 12],
            "default_branch": ["main"] * 4,
            "category": ["compilation", "compilation", "test_failure", "compilation"],
        }
    )
    clusters = cluster_failures(frame)
    top = clusters.iloc[0]
    assert list(clusters["fingerprint"]) == ["aaa", "bbb"]
    assert top["occurrences"] == 3 and top["category"] == "compilation"
    assert top["first_seen"] == pd.Timestamp("2024-05-01T10:00:00Z")
    assert top["last_seen"] == pd.Timestamp("2024-05-03T10:00:00Z")
    assert top["branches"] == ["feature-x", "main"] and top["prs"] == [12]
    assert bool(top["on_default_branch"]) and not bool(clusters.iloc[1]["on_default_branch"])
    assert top["example_job_id"] == 2
    assert cluster_failures(frame.iloc[0:0]).empty


def test_failure_classifier_follows_scikit_learn_conventions_and_learns_user_history():
    classifier = FailureClassifier(C=2.0, random_state=0)
    assert not [name for name in vars(classifier) if name.endswith("_")]
    texts = [
        "flux capacitor overheated during warp test",
        "flux capacitor overheated again",
        "quantum gremlin ate the artifact cache",
        "quantum gremlin ate the cache again",
    ]
    labels = ["infrastructure", "infrastructure", "permissions", "permissions"]
    fitted = classifier.fit(texts, labels)
    assert fitted is classifier and list(classifier.classes_) == list(CATEGORIES)
    proba = classifier.predict_proba(["the flux capacitor overheated", "a quantum gremlin ate it"])
    assert proba.shape == (2, len(CATEGORIES)) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(
        classifier.predict(["the flux capacitor overheated", "a quantum gremlin ate it"])
    ) == ["infrastructure", "permissions"]
    result = analyse_log("the flux capacitor overheated\nbuild stopped", classifier=classifier)
    assert result.category == "infrastructure"


def test_failure_classifier_rules_come_before_the_model():
    classifier = FailureClassifier().fit(
        ["flux capacitor overheated"] * 2 + ["gremlins"] * 2,
        ["infrastructure"] * 2 + ["permissions"] * 2,
    )
    log = ci_log(SNIPPETS["compilation"])
    assert classifier.predict([log])[0] == "compilation"


def test_root_cause_is_a_frozen_dataclass_with_the_public_fields():
    result = analyse_log(ci_log(SNIPPETS["compilation"]))
    assert isinstance(result, RootCause)
    assert result.evidence and all(isinstance(line, str) for line in result.evidence)
    with pytest.raises(AttributeError):
        result.category = "lint"  # type: ignore[misc]


def test_given_a_large_log_then_the_vectorised_search_finds_the_same_lines_as_find():
    from agents.root_cause.lines import WIDE_SEARCH, LogView

    rows = [f"step {i}: ok" for i in range(40000)]
    for i in (3, 17, 20000, 39999):
        rows[i] = f"ERROR: broke at {i} ✖ [-] exited with 1"
    rows[123] = "fail" + "x" * 10  # at a line start
    text = "\n".join(rows)
    view = LogView(text)
    assert len(view.lower) > WIDE_SEARCH
    needles = (b"err", b"fail", b"[-] ", b"exited with ")
    assert view.lines_with(needles) == {3, 17, 123, 20000, 39999}
    assert view.lines_with(needles, limit=10**6) == view.lines_with(needles)  # the find path
    assert view.lines_with_symbols(("✖".encode(), "❌".encode())) == {3, 17, 20000, 39999}
    assert LogView("plain ascii").lines_with_symbols(("✖".encode(),)) == set()


def test_ascii_lines_are_sliced_like_split_on_newline():
    from agents.root_cause.lines import LogView

    text = "a\n\nb c\n"
    view = LogView(text)
    assert len(view.raw) == 4
    assert [view.raw[i] for i in range(4)] == text.split("\n") == list(view.raw)
    assert view.raw[-1] == ""
    with pytest.raises(IndexError):
        view.raw[4]


def test_templates_of_some_lines_match_the_templates_of_the_whole_text():
    from agents.root_cause.templates import templates_of_lines, templates_of_text

    text = (
        "2024-05-01T10:00:00Z start 12\n\x1b[31mError 0x1f at 3s\x1b[0m\n2024-05-01T10:00:01Z done"
    )
    lines = text.split("\n")
    assert templates_of_lines(text, lines, range(3)) == dict(enumerate(templates_of_text(text)))
