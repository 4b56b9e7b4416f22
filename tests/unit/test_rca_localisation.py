"""Failing-line localisation: which lines rank first, and how far a block grows.

Each case is a small log written for this test in a real tool's output format (projects, files,
tests, messages and numbers are invented); the first returned range must hold the line a developer
would read first, and passing tests or wrapper messages must not win over it.
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
    passing = "[09:12:07] t4120-merge-aborted-rebase.sh ........... ok      212 ms ( 0.01 usr )"
    pytest_pass = "tests/test_shell_hints.py::test_hint[npm ERR! code EPERM] PASSED [ 27%]"
    failing = "tests/test_changelog.py::test_changelog_has_dates FAILED [ 31%]"
    assert base_score(passing) < 0.5
    assert base_score(pytest_pass) < 0.5
    assert base_score(failing) > 1.0


def test_an_application_info_or_warning_line_weighs_less_than_the_build_verdict():
    app_line = "14:02:11.377 [warning] (relay|<0.1184.0>) Failed handshake with upstream broker"
    verdict = "queue_SUITE:publish_ack failed on line 214"
    assert base_score(app_line) < base_score(verdict)


def test_a_common_test_case_failure_ranks_above_the_suite_tally_and_the_app_logs():
    """Erlang common_test: the ``suite:case failed on line N`` block, not the app's own log lines
    above it nor the ``*** FAILED test case ***`` tally below it."""
    log = "\n".join(
        FILLER
        + [
            "14:02:11.377 [warning] (relay|<0.1184.0>) Failed handshake with upstream broker",
            "14:02:19.052 [info] Closing channel 7 of vhost /orders",
            "",
            "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
            "queue_SUITE:publish_ack failed on line 214",  # line 405
            "Reason: {badmatch,{error,closed}}",
            "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
            "",
            "Testing hopper.queue_SUITE: *** FAILED test case 12 of 318 ***",
            'The command "make ct" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 405 <= end
    assert end <= 407


def test_a_wrapper_error_ranks_below_the_test_that_failed():
    """xUnit names the failing test; the build script's "One or more errors occurred" wraps it."""
    log = "\n".join(
        FILLER
        + [
            "    Acme.Billing.Tests.InvoiceFixture.Should_round_totals [FAIL]",  # line 401
            "      Assert.Equal() Failure",
            "      Expected: 1250",
            "      Actual:   1249",
            "=== TEST EXECUTION SUMMARY ===",
            "   Acme.Billing.Tests  Total: 86, Errors: 0, Failed: 1, Skipped: 2",
            "An error occurred when executing task 'Run-Unit-Tests'.",
            "Error: One or more errors occurred. (Tests failed)",
            'The command "./build.sh --target=Test" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 401 <= end


def test_a_bare_error_heading_takes_the_message_below_it():
    log = "\n".join(
        FILLER
        + [
            "Error:",  # line 401
            "InvoiceMailerTest#test_sends_reminder_once:",
            "NoMethodError: undefined method `due_on' for nil:NilClass",
            "    app/mailers/invoice_mailer.rb:42:in `reminder'",
            "    test/mailers/invoice_mailer_test.rb:18:in `block in <class:InvoiceMailerTest>'",
            "",
            "412 runs, 1380 assertions, 0 failures, 1 errors, 0 skips",
            'The command "bin/rails test" exited with 1.',
        ]
    )
    assert {401, 402, 403, 404, 405} <= lines_of(analyse_log(log))


def test_a_rust_panic_keeps_its_backtrace():
    log = "\n".join(
        FILLER
        + [
            "--- stderr",
            "thread 'main' panicked at 'called `Option::unwrap()` on a `None` value', build.rs:28",
            "stack backtrace:",  # line 403
            "   0: rust_begin_unwind",
            "             at /rustc/4b91a6ea7/library/std/src/panicking.rs:584:5",
            "   1: build_script_build::main",
            "             at ./build.rs:28",  # line 407
            "",
            'The command "cargo build --locked" exited with 101.',
        ]
    )
    assert {402, 403, 404, 407} <= lines_of(analyse_log(log))


def test_a_detailed_failure_beats_a_bare_verdict_line_of_equal_weight():
    """Go prints the parent test's ``--- FAIL`` line first; the subtest below says what broke."""
    passes = [f"        --- PASS: TestRender/Case_{i} (0.00s)" for i in range(6)]
    log = "\n".join(
        FILLER
        + ["=== RUN   TestRender/Footnotes", "--- FAIL: TestRender (0.02s)"]  # lines 401-402
        + passes
        + [
            "    --- FAIL: TestRender/Tables (0.00s)",  # line 409
            "        render_test.go:88: expected '| a | b |' but actual is '|a|b|'",
            "        render_test.go:88: expected '| c | d |' but actual is '|c|d|'",
            "FAIL",
            "FAIL\tgithub.com/inkwell/mdrender\t0.214s",
            'The command "go test -v -race ./..." exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start <= 409 and end >= 411


def test_a_go_package_verdict_weighs_less_than_the_failing_test():
    assert base_score("FAIL\tgithub.com/inkwell/mdrender\t0.214s") < base_score(
        "--- FAIL: TestSlugify (0.04s)"
    )


def test_a_numbered_failure_list_starts_at_its_first_item_not_at_the_tally_above():
    """mocha's ``2 failing`` and PHPUnit's ``There were 2 failures:`` head the list; the cause is
    the list."""
    for heading in ("  2 failing", "There were 2 failures:"):
        log = "\n".join(
            FILLER
            + [
                "  14 passing (41s)",
                heading,
                "",
                "  1) Editor restores the open tabs after a reload:",  # line 404
                "     Error: Timeout of 20000ms exceeded.",
                "",
                "  2) Editor closes cleanly when asked:",
                "     Error: Timeout of 20000ms exceeded.",
                "",
                'The command "npm run test:e2e" exited with 1.',
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
            "1) Slug_helper_test::test_transliterates_umlauts",  # line 403
            "Failed asserting that two arrays are equal.",
            "--- Expected",
            "+++ Actual",
            "@@ @@",
            " Array (",
            "-    'slug' => 'gruesse-aus-koeln'",
            "+    'slug' => 'grusse-aus-koln'",
            " )",
            "",
            "/home/travis/build/app/tests/helpers/slug_helper_test.php:27",  # line 413
            "/home/travis/build/app/tests/mocks/test_case.php:118",  # line 414
            "",
            "FAILURES!",
            "Tests: 212, Assertions: 530, Failures: 1, Skipped: 3.",
            'The command "vendor/bin/phpunit" exited with 1.',
        ]
    )
    assert first_range(log) == (403, 414)


def test_a_go_run_line_is_not_the_heading_of_the_failure():
    log = "\n".join(
        FILLER
        + [
            "=== RUN   TestSlugify",
            "--- FAIL: TestSlugify (0.04s)",  # line 402
            "    slug_test.go:19: expected slug to be lower-case, got `Hello-World`",
            "=== RUN   TestExcerpt",
            "--- PASS: TestExcerpt (0.01s)",
            "FAIL",
            "FAIL\tgithub.com/inkwell/mdrender\t0.214s",
            'The command "go test -v" exited with 1.',
        ]
    )
    assert first_range(log) == (402, 403)


def test_a_pytest_failure_starts_at_its_test_header_above_fixture_values():
    log = "\n".join(
        FILLER
        + [
            "=================================== FAILURES ===================================",
            "_____________________________ test_changelog_dates _____________________________",
            "",  # line 403
            "repo_root = PosixPath('/home/runner/work/almanac/almanac')",
            "",
            "    def test_changelog_dates(repo_root):",
            "        text = repo_root.joinpath('CHANGELOG.md').read_text()",
            ">       assert '## Unreleased' in text",
            "E       AssertionError: assert '## Unreleased' in '# Changelog\\n\\n## 1.4.0'",
            "",
            "tests/test_changelog.py:9: AssertionError",
            "=========================== 1 failed in 0.84 seconds ===========================",
            'The command "python -m pytest" exited with 1.',
        ]
    )
    start, end = first_range(log)
    assert start == 402 and end >= 409


def test_a_lint_report_starts_at_the_file_it_names_and_its_tally_ranks_below():
    log = "\n".join(
        FILLER
        + [
            "> eslint src/",
            "",
            "/home/travis/build/app/src/widgets/DatePicker.jsx",  # line 403
            "  41:7   error  Replace `··label` with `label`  prettier/prettier",
            "  58:12  error  Insert `,`                      prettier/prettier",  # line 405
            "",
            "✖ 2 problems (2 errors, 0 warnings)",
            "  2 errors and 0 warnings potentially fixable with the `--fix` option.",
            "",
            "npm ERR! code ELIFECYCLE",
            'The command "npm run lint:js" exited with 1.',
        ]
    )
    assert first_range(log) == (403, 405)


def test_a_failure_reported_again_later_ranks_by_its_detailed_report():
    """xcpretty marks a failing test inline, then reports it with its location and source."""
    log = "\n".join(
        FILLER
        + [
            "InvoiceFormatterTests",
            "    ✗ testThatNegativeTotalsAreShownInParentheses, XCTAssertEqual failed",
            "    ✓ testThatZeroTotalsAreShownAsADash (0.004 seconds)",
            "",
            "Ledger_Tests.InvoiceFormatterTests",  # line 405
            "  testThatNegativeTotalsAreShownInParentheses, XCTAssertEqual failed",
            "  /Users/travis/build/app/Tests/InvoiceFormatterTests.swift:37",
            "  ```",
            '        XCTAssertEqual(formatter.string(for: -12), "(12.00)")',
            "  ```",
            "",
            "\t Executed 214 tests, with 1 failure (0 unexpected) in 12.907 (13.114) seconds",
            'The command "xcodebuild -scheme Ledger test" exited with 65.',
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
            "tests.test_tiles ... FAIL",
            "",
            "=" * 70,
            "FAIL: tests.test_export.test_export_geojson",  # line 404
            "-" * 70,
            "Traceback (most recent call last):",
            '  File "/opt/venv/lib/python3.6/site-packages/nose/case.py", line 198, in runTest',
            "    self.test(*self.arg)",
            '  File "/src/tests/test_export.py", line 31, in test_export_geojson',
            "    assert proc.returncode == 0",
            "AssertionError: ",  # line 411
            "",
            'The command "nosetests -v tests" exited with 1.',
        ]
    )
    assert first_range(log) == (404, 411)


def test_a_compiler_diagnostic_keeps_its_source_line_and_caret_in_a_double_spaced_log():
    log = "\n".join(
        FILLER
        + [
            "",
            "../vendor/probe_darwin.go:9:10: fatal error: 'sys/sysctl_ext.h' file not found",  # 402
            "",
            "#include <sys/sysctl_ext.h>",
            "",
            "         ^~~~~~~~~~~~~~~~~~",  # line 406
            "",
            'The command "make check" exited with 2.',
        ]
    )
    start, end = first_range(log)
    assert start == 402 and end == 406


def test_the_lines_a_tool_prints_under_its_error_belong_to_it():
    """Perl's Test::More diagnostics, autoconf's pointer to config.log, R CMD check's tail."""
    cases = [
        (
            "t/upload.t ........ Upload error: connect timeout at t/upload.t line 41.",
            "# Looks like your test exited with 29 just after 3.",
        ),
        (
            "configure: error: cannot find the required library libzstd >= 1.4",
            "See `config.log' for more details",
        ),
        ("Running the tests in 'tests/run-all.R' failed.", "Last 9 lines of output:"),
    ]
    for error, follower in cases:
        log = "\n".join(FILLER + ["", error, follower, "", "Done. Your build exited with 1."])
        assert first_range(log) == (402, 403), error


def test_names_and_settings_that_merely_contain_a_failure_word_are_no_cue():
    assert base_score("$_SERVER['NOTIFY_ON_FAILURE'] => false") == 0.0
    assert base_score("+export RUNNER_OPTS=--order=failed,slow --jobs=4") == 0.0
    assert base_score("    GEN lib/Acme/Report/Error.pm") == 0.0
    assert base_score("make[1]: Leaving directory '/home/travis/build/acme/errorlog/src'") == 0.0
    assert base_score("error: NOTIFY_ON_FAILURE is not set") > 0.0


def test_a_block_stops_at_a_passing_pester_test():
    log = "\n".join(
        FILLER
        + [
            "      [-] Error occurred in Describe block 12ms",  # line 401
            "        CommandNotFoundException: The term 'Invoke-Gizmo' is not recognized",
            "        at <ScriptBlock>, /build/tests/Gizmo.Tests.ps1: line 14",
            "",
            "    [+] Imports the module 31ms",
            "    [+] Exports two commands 6ms",
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
            'PERL_DL_NONLAZY=1 "/usr/local/bin/perl" "-MTest::Harness" "-e" '
            "\"test_harness(0, 'blib/lib')\" t/*.t",
            "t/upload.t ........ Upload error: connect timeout at t/upload.t line 41.",  # 402
            "# Looks like your test exited with 29 just after 3.",
            "",
            "Done. Your build exited with 1.",
        ]
    )
    assert first_range(log) == (402, 403)


def test_progress_lines_of_test_runners_are_edges_not_headings():
    from agents.root_cause.patterns import LineInfo

    assert LineInfo("?   \tgithub.com/acme/shh/client\t[no test files]").edge
    assert LineInfo("  Discovering: Acme.Billing.Tests").edge
    assert LineInfo("  Starting:    Acme.Billing.Tests").edge


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
            "$ rvm use 2.7.3 --install --binary --fuzzy",
            "curl: (22) The requested URL returned error: 403",  # line 2: a step that passed
            "Required ruby-2.7.3 is not installed - installing.",
        ]
        + FILLER
        + [
            "$ bash script/check-site.sh",  # line 404: the step that fails
            "Configuration file: /home/travis/build/acme/handbook/_config.yml",
            "htmlproofer 3.19.2 | Error:  HTML-Proofer found 7 failures!",  # line 406
            'The command "bash script/check-site.sh" exited with 1.',
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
            "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:"
            "compile (default-compile) on project ledger-core: Compilation failure",  # line 405
            "[ERROR] /src/main/java/Ledger.java:[36,52] cannot access org.example.Widget",
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
            "$ make linkcheck",
            "ERROR: Detected 2 broken links.",
            'The command "make linkcheck" exited with 1.',  # line 203: the first failing command
            "$ make html",
        ]
        + FILLER[:200]
        + [
            "error: 5 warnings treated as errors",  # line 405: a stronger cue, in a later command
            "make: *** [html] Error 1",
            'The command "make html" exited with 2.',
            "Done. Your build exited with 1.",
        ]
    )
    ranges = analyse_log(log).lines
    assert ranges[0][0] <= 405 <= ranges[0][1]


def test_the_output_nose_captured_under_a_failing_test_belongs_to_its_failure():
    log = "\n".join(
        FILLER
        + [
            "FAIL: tests.test_export.test_export_geojson",  # line 401
            "-" * 70,
            "Traceback (most recent call last):",
            '  File "/src/tests/test_export.py", line 31, in test_export_geojson',
            "    assert proc.returncode == 0",
            "AssertionError: ",
            "-------------------- >> begin captured stdout << ---------------------",
            "",
            "Traceback (most recent call last):",
            '  File "/src/tools/export-geojson.py", line 12, in <module>',
            "    import shapely.geometry",
            "ImportError: No module named 'shapely'",
            "",
            "--------------------- >> end captured stdout << ----------------------",  # line 414
            "",
            "Ran 27 tests in 4.8s",
            "FAILED (failures=1)",
            'The command "nosetests -v tests" exited with 1.',
        ]
    )
    assert first_range(log) == (401, 414)


def test_hints_on_getting_more_output_and_makes_wrapper_end_a_block():
    from agents.root_cause.patterns import LineInfo

    assert LineInfo("  Use --trace for backtrace.").edge
    assert LineInfo("(See full trace by running task with --trace)").edge
    assert LineInfo("erlang.mk:4812: recipe for target 'ebin/hopper.app' failed").edge
    assert LineInfo("    Building [=====>                ] 12/89").edge  # cargo's progress bar
    log = "\n".join(
        FILLER
        + [
            'Error: Undefined variable: "$gutter-width".',  # line 401
            "        on line 14 of src/styles/_grid.scss",
            "  Use --trace for backtrace.",
            'The command "npm run build:css" exited with 1.',
        ]
    )
    assert first_range(log) == (401, 402)


def _step_ending_with(report: list[str], tail: str) -> str:
    """A Travis step: the report, then (out of the report's block) the step's last line."""
    gap, verdict = ["", "", "", ""], 'The command "make all" exited with 2.'
    return "\n".join(FILLER + ["$ make all"] + report + gap + [tail, verdict])


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
        "❌  /Users/travis/build/app/Tests/LedgerSpec.swift:52:23: 'balance' is inaccessible due "
        "to 'private' protection level",  # line 401
        "",
        "                        expect(account?.balance) == 10",
        "                                        ^",
    ]
    unloadable = "Failed to load the test bundle. (Underlying error: the bundle is damaged)"
    recap = [
        "** TEST BUILD FAILED **",
        "",
        "The following build commands failed:",
        "\tCompileSwift normal arm64 /Users/travis/build/app/Tests/LedgerSpec.swift",
        "(1 failure)",
        "",
        "Testing failed:",
        "\t'balance' is inaccessible due to 'private' protection level",
        "\tLedgerTests:",
        f"\t\txctest (4121) encountered an error ({unloadable})",
        "\tLedgerUITests:",
        f"\t\txctest (4122) encountered an error ({unloadable})",
        "",
        "** TEST EXECUTE FAILED **",
        'The command "xcodebuild -scheme Ledger test" exited with 65.',
    ]
    result = analyse_log("\n".join(FILLER + diagnostic + [""] * 20 + recap))
    assert any(a <= 401 <= b for a, b in result.lines[:3])


def test_a_linter_s_compact_finding_outranks_an_upload_error_after_the_failing_step():
    """standard/eslint print ``file:line message (rule)``: no error word, yet it is the failure;
    Travis' artifact upload after the failed command complains louder but changed nothing."""
    log = "\n".join(
        FILLER
        + [
            "$ npm run lint && npm run build",
            "src/scheduler/queue.js:118:22: Extra semicolon. (semi)",  # line 402
            "travis_time:end:1c4b7e02:start=1593012245118021554,finish=1593012270466190375",
            'The command "npm run lint && npm run build" exited with 1.',
            "",
            "Uploading Artifacts",
            "travis_fold:start:artifacts.setup",
            "artifacts version v0.8.2 revision=3f9c1e7d0b5a42e6c8d1f0a9b7e3c2d4f6a8b0c1",
            "travis_fold:end:artifacts.setup",
            "$ artifacts upload",
            "INFO: uploading with settings",
            "",
            "ERROR: failed to upload: /home/travis/build/app/dist/app.dmg",
            "  err: open /home/travis/build/app/dist/app.dmg: no such file or directory",
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
            "[12:45:05] t7311-index-lock.sh .............. Dubious, test returned 2 (wstat 512)",
            "Failed 2/17 subtests ",
        ]  # lines 402-403
        + passing
        + [
            "",
            "Test Summary Report",
            "-------------------",
            "t7311-index-lock.sh         (Wstat: 512 Tests: 17 Failed: 2)",
            "  Failed tests:  9, 14",
            "Files=812, Tests=18342, 377 wallclock secs",
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
            "$ cmake -DWITH_TLS=ON ..",
            "CMake Error at /usr/share/cmake-3.10/Modules/FindBoost.cmake:2044 (message):",  # 402
            "  Could not find the following Boost libraries:",
            "",
            "          boost_filesystem",
            "",
            "Call Stack (most recent call first):",
            "  src/CMakeLists.txt:12 (find_package)",
            "",
            "-- Looking for clock_gettime in rt - not found",
            "-- Found Threads: TRUE",
            "-- Could NOT find Sphinx (missing: SPHINX_EXECUTABLE) ",
            "-- Configuring incomplete, errors occurred!",
            'The command "cmake -DWITH_TLS=ON .." exited with 1.',
        ]
    )
    result = analyse_log(log)
    assert result.lines[0][0] == 402 and "Boost" in result.summary
