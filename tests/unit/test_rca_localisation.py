"""Failing-line localisation: which lines rank first, and how far a block grows.

Each case is a small log in a real tool's format; the first returned range must hold the line a
developer would read first, and passing tests or wrapper messages must not win over it.
"""

from __future__ import annotations

from agents.root_cause.analysis import analyse_log
from agents.root_cause.blocks import Span, prefer_first
from agents.root_cause.lines import locate
from agents.root_cause.log_view import LogView
from agents.root_cause.patterns import base_score

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


def test_a_numbered_failure_list_starts_at_its_first_item_not_at_the_tally_above():
    """mocha's ``2 failing`` and PHPUnit's ``There was 1 failure:`` head the list; the cause is
    the list."""
    for heading in ("  2 failing", "There were 2 failures:"):
        log = "\n".join(
            FILLER
            + [
                "  8 passing (2m)",
                heading,
                "",
                "  1) Suite waits until all windows have saved their state:",  # line 404
                "     Error: timeout of 60000ms exceeded.",
                "",
                "  2) Suite quits when asked:",
                "     Error: timeout of 60000ms exceeded.",
                "",
                'The command "npm test" exited with 1.',
            ]
        )
        start, end = first_range(log)
        assert start == 404 and end >= 408, heading


def test_a_phpunit_failure_keeps_its_trace_below_the_diff():
    log = "\n".join(
        FILLER
        + [
            "There was 1 failure:",
            "",
            "1) Inflector_helper_test::test_plural",  # line 403
            "Failed asserting that two strings are equal.",
            "--- Expected",
            "+++ Actual",
            "@@ @@",
            "-'tellies'",
            "+'telly'",
            "",
            "/home/travis/build/app/tests/helpers/inflector_helper_test.php:43",  # line 411
            "/home/travis/build/app/tests/mocks/ci_testcase.php:351",
            "",
            "FAILURES!",
            "Tests: 454, Assertions: 1234, Failures: 1, Skipped: 34.",
            'The command "phpunit" exited with 1.',
        ]
    )
    assert first_range(log) == (403, 412)


def test_a_go_run_line_is_not_the_heading_of_the_failure():
    log = "\n".join(
        FILLER
        + [
            "=== RUN   TestSeparator",
            "--- FAIL: TestSeparator (0.03s)",  # line 402
            "    repo_test.go:75: expected entry to be in form of `* [link] - description.`",
            "=== RUN   TestGenerateHTML",
            "--- PASS: TestGenerateHTML (0.02s)",
            "FAIL",
            "FAIL\tgithub.com/some/repo\t0.165s",
            'The command "go test -v" exited with 1.',
        ]
    )
    assert first_range(log) == (402, 403)


def test_a_pytest_failure_starts_at_its_test_header_above_fixture_values():
    log = "\n".join(
        FILLER
        + [
            "=================================== FAILURES ===================================",
            "_________________________________ test_readme __________________________________",
            "",  # line 403
            "source_root = PosixPath('/home/travis/build/app')",
            "",
            "    def test_readme(source_root):",
            "        readme = source_root.joinpath('README.md').read_text()",
            ">       assert 'rule' in readme",
            "E       AssertionError: assert 'rule' in '# The readme'",
            "",
            "tests/test_readme.py:11: AssertionError",
            "=========================== 1 failed in 2.10 seconds ===========================",
            'The command "pytest" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start == 402 and end >= 409


def test_a_lint_report_starts_at_the_file_it_names_and_its_tally_ranks_below():
    log = "\n".join(
        FILLER
        + [
            "> eslint .",
            "",
            "/home/travis/build/app/src/components/Header.js",  # line 403
            "  28:14  error  Replace `·external` with `external`  prettier/prettier",
            "",
            "✖ 1 problem (1 error, 0 warnings)",
            "  1 error and 0 warnings potentially fixable with the `--fix` option.",
            "",
            "npm ERR! code ELIFECYCLE",
            'The command "npm run lint" exited with 1.',
        ]
    )
    assert first_range(log) == (403, 404)


def test_a_failure_reported_again_later_ranks_by_its_detailed_report():
    """xcpretty marks a failing test inline, then reports it with its location and source."""
    log = "\n".join(
        FILLER
        + [
            "StatusCodeValidationTestCase",
            "    ✗ testThatValidationForRequestWithAcceptableStatusCodeSucceeds, wait failed",
            "    ✓ testThatValidationForRequestWithNoAcceptableStatusCodesFails (1.181 seconds)",
            "",
            "App_Tests.StatusCodeValidationTestCase",  # line 405
            "  testThatValidationForRequestWithAcceptableStatusCodeSucceeds, wait failed",
            "  /Users/travis/build/app/Tests/ValidationTests.swift:55",
            "  ```",
            "        waitForExpectations(timeout: timeout, handler: nil)",
            "  ```",
            "",
            "\t Executed 528 tests, with 1 failure (0 unexpected) in 44.353 (45.598) seconds",
            'The command "xcodebuild test" exited with 65.',
        ]
    )
    start, end = first_range(log)
    assert start <= 406 <= end


def test_of_several_failures_of_one_kind_the_first_ranks_first():
    """Close scores, same kind of block: the first one in the log is ranked first; the same
    block printed twice (a summary repeating it) is not reordered."""
    lines = FILLER + [
        "Error:",  # line 401
        "SomeTest#test_alpha:",
        "ArgumentError: bad value",
        "",
        "Error:",  # line 405
        "SomeTest#test_beta:",
        "ArgumentError: bad value",
        "",
        "Error:",  # line 409: a repeat of the block at 405
        "SomeTest#test_beta:",
    ]
    view = LogView("\n".join(lines))
    blocks = [Span(405, 407, 9.7, 405), Span(401, 403, 9.3, 401)]
    prefer_first(view, blocks)
    assert blocks[0].start == 401
    repeated = [Span(409, 410, 9.7, 409), Span(405, 406, 9.3, 405)]
    prefer_first(view, repeated)
    assert repeated[0].start == 409
    far = [Span(405, 407, 9.7, 405), Span(401, 403, 5.0, 401)]
    prefer_first(view, far)
    assert far[0].start == 405


def test_a_python_exception_takes_its_traceback_and_the_unittest_heading_above_it():
    log = "\n".join(
        FILLER
        + [
            "tests.test_align ... FAIL",
            "",
            "=" * 70,
            "FAIL: tests.test_batch.test_batch_represent",  # line 404
            "-" * 70,
            "Traceback (most recent call last):",
            '  File "/usr/lib/python2.7/dist-packages/nose/case.py", line 197, in runTest',
            "    self.test(*self.arg)",
            '  File "/src/tests/test_batch.py", line 50, in test_batch_represent',
            "    assert p.returncode == 0",
            "AssertionError: ",  # line 411
            "",
            'The command "nosetests -v" exited with 1.',
        ]
    )
    assert first_range(log) == (404, 411)


def test_a_compiler_diagnostic_keeps_its_source_line_and_caret_in_a_double_spaced_log():
    log = "\n".join(
        FILLER
        + [
            "",
            "../vendor/sigar_darwin.go:12:10: fatal error: 'libproc.h' file not found",  # 402
            "",
            "#include <libproc.h>",
            "",
            "         ^~~~~~~~~~~",  # line 406
            "",
            'The command "make test" exited with 2.',
        ]
    )
    start, end = first_range(log)
    assert start == 402 and end == 406


def test_the_lines_a_tool_prints_under_its_error_belong_to_it():
    """Perl's Test::More diagnostics, autoconf's pointer to config.log, R CMD check's tail."""
    cases = [
        (
            "t/https.t ........ Connection error: Connect timeout at t/https.t line 17.",
            "# Looks like your test exited with 11 before it could output anything.",
        ),
        (
            "configure: error: C compiler cannot create executables",
            "See `config.log' for more details",
        ),
        ("Running the tests in 'tests/testthat.R' failed.", "Last 13 lines of output:"),
    ]
    for error, follower in cases:
        log = "\n".join(FILLER + ["", error, follower, "", "Done. Your build exited with 1."])
        assert first_range(log) == (402, 403), error


def test_names_and_settings_that_merely_contain_a_failure_word_are_no_cue():
    assert base_score("$_SERVER['TRAVIS_ALLOW_FAILURE'] => false") == 0.0
    assert base_score("+export GIT_PROVE_OPTS=--timer --state=failed,slow,save") == 0.0
    assert base_score("    GEN perl/build/lib/Git/LoadCPAN/Error.pm") == 0.0
    assert base_score("make[2]: Leaving directory '/home/travis/build/git/git/t'") == 0.0
    assert base_score("error: TRAVIS_ALLOW_FAILURE is not set") > 0.0


def test_a_block_stops_at_a_passing_pester_test():
    log = "\n".join(
        FILLER
        + [
            "      [-] Error occurred in Context block 45ms",  # line 401
            "        CommandNotFoundException: The term 'Export-NunitReport' is not recognized",
            "        at DescribeImpl, /build/Functions/Describe.ps1: line 161",
            "",
            "    [+] Resolves non existing path correctly 8ms",
            "    [+] Resolves existing path correctly 7ms",
            "Done. Your build exited with 1.",
        ]
    )
    assert first_range(log) == (401, 403)


def test_cleaning_drops_every_kind_of_terminal_escape_and_spinner_backspace():
    from agents.root_cause.patterns import clean_one

    assert clean_one("\x1b=\x1b=    [-] Should validate 191ms") == "    [-] Should validate 191ms"
    assert clean_one("\x1b[1mbold\x1b(B\x1b[m text") == "bold text"
    assert clean_one("Downloading |\x08/\x08-\x08 done") == "Downloading |/- done"


def test_a_command_line_that_sets_variables_is_no_heading_of_the_failure_below_it():
    log = "\n".join(
        FILLER
        + [
            'PERL_DL_NONLAZY=1 "/usr/bin/perl" "-MTest::Harness" "-e" "test_harness(0)" t/*.t',
            "t/https.t ........ Connection error: Connect timeout at t/https.t line 17.",  # 402
            "# Looks like your test exited with 11 before it could output anything.",
            "",
            "Done. Your build exited with 1.",
        ]
    )
    assert first_range(log) == (402, 403)


def test_progress_lines_of_test_runners_are_edges_not_headings():
    from agents.root_cause.patterns import LineInfo

    assert LineInfo("?   \tgithub.com/acme/shh/client\t[no test files]").edge
    assert LineInfo("  Discovering: Nancy.Testing.Tests").edge
    assert LineInfo("  Starting:    Nancy.Testing.Tests").edge


def test_a_second_failure_like_the_first_far_below_is_no_runner_up_but_a_near_one_is():
    far_log = "\n".join(
        FILLER
        + ["--- FAIL: TestParse (0.01s)", "    parse_test.go:12: got 1, want 2"]  # 401-402
        + [f"=== RUN   TestStep{i}" for i in range(60)]
        + ["--- FAIL: TestRender (0.02s)", "    render_test.go:40: got a, want b"]
        + ["FAIL", "exit status 1"]
    )
    result = analyse_log(far_log)
    assert result.lines[0][0] == 401
    assert not any(a <= 463 <= b for a, b in result.lines[1:])

    near_log = "\n".join(
        FILLER
        + [
            "[ERROR] /src/main/App.java:[12,5] cannot find symbol",  # line 401
            "[ERROR]   symbol:   class Widget",
            "",
            "[ERROR] /src/main/Other.java:[30,9] cannot find symbol",  # line 404
            "[ERROR]   symbol:   class Gadget",
            "[INFO] BUILD FAILURE",
        ]
    )
    shown = lines_of(analyse_log(near_log))
    assert {401, 404} <= shown


def test_an_error_printed_by_an_earlier_step_that_passed_loses_to_the_failing_step():
    log = "\n".join(
        [
            "$ rvm use 2.2.0 --install --binary",
            "curl: (22) The requested URL returned error: 404 Not Found",  # line 2: a passing step
            "Required ruby-2.2.0 is not installed - installing.",
        ]
        + FILLER
        + [
            "$ bash cibuild.sh",  # line 404: the step that fails
            "Configuration file: _config.yml",
            "htmlproofer | Error:  HTML-Proofer found 4 failures!",  # line 406
            'The command "bash cibuild.sh" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 406 <= end


def test_maven_errors_printed_after_its_build_failure_verdict_belong_to_the_failing_step():
    log = "\n".join(
        ["[INFO] Scanning for projects..."]
        + [
            f"[INFO] Downloaded from central: https://repo/x/lib{i}/1.0/lib{i}-1.0.jar"
            for i in range(399)
        ]
        + [
            "[WARNING] Could not transfer metadata: connection failed, retrying",  # line 401
            "[INFO] BUILD FAILURE",  # line 402
            "[INFO] ------------------------------------------------------------------------",
            "[INFO] Total time:  12.345 s",
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.10.1:"
            "compile (default-compile) on project core: Compilation failure",  # line 405
            "[ERROR] /src/main/java/App.java:[36,52] cannot access org.example.Widget",
            "[ERROR] -> [Help 1]",
            "Finished: FAILURE",
        ]
    )
    assert locate(log).end == 406  # 0-based: "[ERROR] -> [Help 1]", the report's last line
    start, end = first_range(log)
    assert start <= 406 <= end


def test_a_later_command_that_failed_too_can_hold_the_cause():
    """Travis runs every script command even after one failed; the first failure's section is not
    the only place a cause can be."""
    log = "\n".join(
        FILLER[:200]
        + [
            "$ make links",
            "ERROR: Detected 1 broken links.",
            'The command "make links" exited with 1.',  # line 203: the first failing command
            "$ make build",
        ]
        + FILLER[:200]
        + [
            "error: 3 warnings treated as errors",  # line 405: a stronger cue, in a later command
            "make: *** [build] Error 1",
            'The command "make build" exited with 2.',
            "Done. Your build exited with 1.",
        ]
    )
    ranges = analyse_log(log).lines
    assert ranges[0][0] <= 405 <= ranges[0][1]


def test_the_output_nose_captured_under_a_failing_test_belongs_to_its_failure():
    log = "\n".join(
        FILLER
        + [
            "FAIL: tests.test_batch.test_batch_represent",  # line 401
            "-" * 70,
            "Traceback (most recent call last):",
            '  File "/src/tests/test_batch.py", line 50, in test_batch_represent',
            "    assert p.returncode == 0",
            "AssertionError: ",
            "-------------------- >> begin captured stdout << ---------------------",
            "",
            "Traceback (most recent call last):",
            '  File "/src/util/align-dlib.py", line 18, in <module>',
            "    import cv2",
            "ImportError: No module named 'cv2'",
            "",
            "--------------------- >> end captured stdout << ----------------------",  # line 414
            "",
            "Ran 12 tests in 3.2s",
            "FAILED (failures=1)",
            'The command "nosetests -v" exited with 1.',
        ]
    )
    assert first_range(log) == (401, 414)


def test_hints_on_getting_more_output_and_makes_wrapper_end_a_block():
    from agents.root_cause.patterns import LineInfo

    assert LineInfo("  Use --trace for backtrace.").edge
    assert LineInfo("(See full trace by running task with --trace)").edge
    assert LineInfo("erlang.mk:5360: recipe for target 'ebin/rabbit.app' failed").edge
    assert LineInfo("    Building [=====>                ] 12/89").edge  # cargo's progress bar
    log = "\n".join(
        FILLER
        + [
            'Error: Undefined variable: "$radius".',  # line 401
            "        on line 7 of bulma.sass",
            "  Use --trace for backtrace.",
            'The command "npm run build" exited with 1.',
        ]
    )
    assert first_range(log) == (401, 402)


def _step_ending_with(report: list[str], tail: str) -> str:
    """A Travis step: the report, then (out of the report's block) the step's last line."""
    gap, verdict = ["", "", "", ""], 'The command "make" exited with 2.'
    return "\n".join(FILLER + ["$ make"] + report + gap + [tail, verdict])


def test_the_step_s_last_line_is_a_guess_beside_a_weak_report():
    log = _step_ending_with(["warning: something looks wrong in module 3"], "see the notes above")
    tail_line = len(FILLER) + 7
    assert tail_line in lines_of(analyse_log(log))


def test_a_strong_report_spends_no_line_on_the_step_s_uncued_last_words():
    report = [
        "src/parser.c:41:5: error: 'token' undeclared (first use in this function)",
        "   41 |     token = next();",
        "      |     ^~~~~",
    ]
    log = _step_ending_with(report, "make: leaving the build of 12 targets")
    result = analyse_log(log)
    assert result.lines[0][0] == len(FILLER) + 2  # the compiler's diagnostic first
    assert len(FILLER) + 9 not in lines_of(result)  # and not the uncued tail line


def test_xcpretty_s_compiler_diagnostic_is_among_the_guesses_above_xcodebuild_s_recap():
    """xcpretty prints a compiler error as ``❌  file:line:col: message`` (no "error:"), and
    xcodebuild repeats the bare message under "Testing failed:" with more error words around it."""
    diagnostic = [
        "❌  /Users/travis/build/app/Tests/ActionSpec.swift:47:19: 'value' is inaccessible due to "
        "'internal' protection level",  # line 401
        "",
        "                        expect(result?.value) == 1",
        "                                       ^",
    ]
    unloadable = "Failed to load the test bundle. (Underlying error: it couldn't be loaded)"
    recap = [
        "** TEST BUILD FAILED **",
        "",
        "The following build commands failed:",
        "\tCompileSwift normal x86_64",
        "(1 failure)",
        "",
        "Testing failed:",
        "\t'value' is inaccessible due to 'internal' protection level",
        "\tAppTests:",
        f"\t\txctest (3508) encountered an error ({unloadable})",
        "\tMapTests:",
        f"\t\txctest (3509) encountered an error ({unloadable})",
        "",
        "** TEST EXECUTE FAILED **",
        'The command "xcodebuild test" exited with 65.',
    ]
    result = analyse_log("\n".join(FILLER + diagnostic + [""] * 20 + recap))
    assert any(a <= 401 <= b for a, b in result.lines[:3])


def test_a_linter_s_compact_finding_outranks_an_upload_error_after_the_failing_step():
    """standard/eslint print ``file:line message (rule)``: no error word, yet it is the failure;
    Travis' artifact upload after the failed command complains louder but changed nothing."""
    log = "\n".join(
        FILLER
        + [
            "$ script/lint && script/build",
            "src/grammar-registry.js:639 Insert `;` (prettier/prettier)",  # line 402
            "travis_time:end:0a958dd8:start=1560378109316882521,finish=1560378132937327003",
            'The command "script/lint && script/build" exited with 1.',
            "",
            "Uploading Artifacts",
            "travis_fold:start:artifacts.setup",
            "artifacts version v0.7.9-3-geef78ca revision=eef78ca2da49a8783a32d4293c24b7025b52b097",
            "travis_fold:end:artifacts.setup",
            "$ artifacts upload",
            "INFO: uploading with settings",
            "",
            "ERROR: failed to upload: /home/travis/build/app/out/app.rpm",
            "  err: open /home/travis/build/app/out/app.rpm: no such file or directory",
            "",
            "Done. Your build exited with 1.",
        ]
    )
    assert first_range(log) == (402, 402)


def test_prove_s_dubious_test_is_found_thousands_of_lines_above_its_summary():
    """The TAP harness (prove) reports a failing script where it ran, long before its summary."""
    passing = [
        f"[12:45:{i % 60:02d}] t{1000 + i}-feature.sh ................... ok" for i in range(3000)
    ]
    log = "\n".join(
        FILLER
        + [
            "$ make test",
            "[12:45:05] t9502-parse-output.sh ............ Dubious, test returned 1 (wstat 256)",
            "Failed 1/13 subtests ",
        ]  # lines 402-403
        + passing
        + [
            "",
            "Test Summary Report",
            "-------------------",
            "t9502-parse-output.sh       (Wstat: 256 Tests: 13 Failed: 1)",
            "  Failed test:  13",
            "Files=900, Tests=20000, 400 wallclock secs",
            "Result: FAIL",
            "make: *** [prove] Error 1",
            'The command "make test" exited with 2.',
        ]
    )
    assert first_range(log)[0] == 402


def test_a_cmake_error_outranks_cmake_s_status_about_an_optional_package():
    log = "\n".join(
        FILLER
        + [
            "$ cmake ..",
            "CMake Error at /usr/share/cmake-3.2/Modules/FindBoost.cmake:1201 (message):",  # 402
            "  Unable to find the requested Boost libraries.",
            "",
            "  Boost version: 1.54.0",
            "",
            "Call Stack (most recent call first):",
            "  CMakeLists.txt:45 (include)",
            "",
            "-- Looking for pthread_create - not found",
            "-- Found Threads: TRUE",
            "-- Could NOT find Doxygen (missing:  DOXYGEN_EXECUTABLE) ",
            "-- Configuring incomplete, errors occurred!",
            'The command "cmake .." exited with 1.',
        ]
    )
    result = analyse_log(log)
    assert result.lines[0][0] == 402 and "Boost" in result.summary
