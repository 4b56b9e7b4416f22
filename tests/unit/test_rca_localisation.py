"""Failing-line localisation: which lines rank first, and how far a block grows.

Each case is a small log in a real tool's format; the first returned range must hold the line a
developer would read first, and passing tests or wrapper messages must not win over it.
"""

from __future__ import annotations

from agents.rca_patterns import base_score
from agents.root_cause import analyse_log

FILLER = [f"compiling module {i}" for i in range(400)]  # lines 1-400: 5 % of the log is enough


def lines_of(result) -> set[int]:
    return {n for a, b in result.lines for n in range(a, b + 1)}


def first_range(text: str) -> tuple[int, int]:
    return analyse_log(text).lines[0]


def test_a_passing_test_line_scores_little_even_when_its_name_sounds_alarming():
    passing = "[16:43:31] t3010-ls-files-killed-modified.sh ........ ok      107 ms ( 0.00 usr )"
    pytest_pass = "tests/test_sudo.py::test_match[npm ERR! Error: EACCES] PASSED [ 10%]"
    failing = "tests/test_readme.py::test_readme FAILED [ 12%]"
    assert base_score(passing) < 0.5
    assert base_score(pytest_pass) < 0.5
    assert base_score(failing) > 1.0


def test_an_application_info_or_warning_line_weighs_less_than_the_build_verdict():
    app_line = "08:18:45.909 [warning] (tls|<0.2685.0>) Failed outbound s2s authentication"
    verdict = "suite:send_recv failed on line 593"
    assert base_score(app_line) < base_score(verdict)


def test_a_common_test_case_failure_ranks_above_the_suite_tally_and_the_app_logs():
    log = "\n".join(
        FILLER
        + [
            "08:18:45.909 [warning] (tls|<0.2685.0>) Failed outbound s2s authentication",
            "08:18:55.470 [info] Stopping MUC room test@conference.localhost",
            "",
            "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
            "suite:send_recv failed on line 593",  # line 405
            "Reason: timetrap_timeout",
            "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
            "",
            "Testing ejabberd: *** FAILED test case 89 of 1470 ***",
            'The command "make test" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 405 <= end
    assert end <= 407


def test_a_wrapper_error_ranks_below_the_test_that_failed():
    log = "\n".join(
        FILLER
        + [
            "    Nancy.Tests.BrowserFixture.Should_return_JSON [FAIL]",  # line 401
            "      Assert.Equal() Failure",
            "      Expected: 200",
            "      Actual:   500",
            "=== TEST EXECUTION SUMMARY ===",
            "   Nancy.Tests  Total: 120, Errors: 0, Failed: 1, Skipped: 0",
            "An error occurred when executing task 'Test'.",
            "Error: One or more errors occurred.",
            'The command "./build.sh" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 401 <= end


def test_a_bare_error_heading_takes_the_message_below_it():
    log = "\n".join(
        FILLER
        + [
            "Error:",  # line 401
            "InsertAllTest#test_insert_all_logs_message:",
            "ArgumentError: SQLite3Adapter does not support skipping duplicates",
            "    activerecord/lib/active_record/insert_all.rb:80:in `ensure_valid_options'",
            "    activerecord/test/cases/insert_all_test.rb:155:in `block in test_insert'",
            "",
            "1200 runs, 3400 assertions, 0 failures, 1 errors, 0 skips",
            'The command "bundle exec rake test" exited with 1.',
        ]
    )
    assert {401, 402, 403, 404, 405} <= lines_of(analyse_log(log))


def test_a_rust_panic_keeps_its_backtrace():
    log = "\n".join(
        FILLER
        + [
            "--- stderr",
            "thread 'main' panicked at 'called `Result::unwrap()` on an `Err` value', build.rs:75",
            "stack backtrace:",  # line 403
            "   0: std::sys::unix::backtrace::tracing::imp::unwind_backtrace",
            "             at src/libstd/sys/unix/backtrace/tracing/gcc_s.rs:39",
            "   1: build_script_build::main",
            "             at ./build.rs:75",
            "",
            'The command "cargo build" exited with 101.',
        ]
    )
    assert {402, 403, 404, 407} <= lines_of(analyse_log(log))


def test_a_detailed_failure_beats_a_bare_verdict_line_of_equal_weight():
    """Go prints the parent test's ``--- FAIL`` line first; the subtest below says what broke."""
    passes = [f"        --- PASS: TestAlpha/Case_{i} (0.00s)" for i in range(6)]
    log = "\n".join(
        FILLER
        + ["=== RUN   TestAlpha/Tutorials", "--- FAIL: TestAlpha (0.02s)"]  # lines 401-402
        + passes
        + [
            "    --- FAIL: TestAlpha/Meetups (0.00s)",  # line 409
            "        repo_test.go:131: expected 'golang auckland' but actual is 'golang boston'",
            "        repo_test.go:131: expected 'golang boston' but actual is 'golang bangalore'",
            "FAIL",
            "FAIL\tgithub.com/avelino/awesome-go\t0.165s",
            'The command "go test -v" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 409 and end >= 411


def test_a_go_package_verdict_weighs_less_than_the_failing_test():
    assert base_score("FAIL\tgithub.com/avelino/awesome-go\t0.165s") < base_score(
        "--- FAIL: TestSeparator (0.03s)"
    )
