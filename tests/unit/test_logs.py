"""Specification of core.logs.normalise: numbering, cleaning, structure and GitHub step mapping."""

from __future__ import annotations

import os
import tracemalloc

import numpy as np
import pytest

from core.logs.normalise import (
    REPLACEMENT,
    TRUNCATION_PREFIX,
    LogLine,
    github_line_url,
    github_log_url,
    map_github_steps,
    normalise_log,
    split_timestamp,
    strip_ansi,
)

MIB = 1024 * 1024

GITHUB_LOG = (
    "\n".join(
        [
            "\ufeff2024-05-01T12:00:00.1000000Z Requested labels: ubuntu-latest",
            "2024-05-01T12:00:00.2000000Z Current runner version: '2.316.0'",
            "2024-05-01T12:00:00.3000000Z ##[group]Operating System",
            "2024-05-01T12:00:00.4000000Z Ubuntu",
            "2024-05-01T12:00:00.5000000Z ##[endgroup]",
            "2024-05-01T12:00:02.0000000Z ##[group]Run actions/checkout@v4",
            "2024-05-01T12:00:02.1000000Z with:",
            "2024-05-01T12:00:02.2000000Z ##[endgroup]",
            "2024-05-01T12:00:03.0000000Z ##[group]Run pytest -q",
            "2024-05-01T12:00:03.0500000Z \x1b[36;1mpytest -q\x1b[0m",
            "2024-05-01T12:00:03.1000000Z ##[endgroup]",
            "2024-05-01T12:00:04.0000000Z collecting 10%\r\x1b[Kcollecting 100%",
            "2024-05-01T12:00:05.0000000Z ##[warning]Node.js 16 actions are deprecated.",
            "2024-05-01T12:00:06.0000000Z FAILED tests/test_cart.py::test_total - assert 3 == 4",
            "2024-05-01T12:00:07.0000000Z ##[error]Process completed with exit code 1.",
            "2024-05-01T12:00:08.0000000Z Post job cleanup.",
            "2024-05-01T12:00:08.5000000Z [command]/usr/bin/git version",
            "2024-05-01T12:00:09.0000000Z Cleaning up orphan processes",
        ]
    )
    + "\n"
)

API_STEPS = [
    {
        "number": 1,
        "name": "Set up job",
        "conclusion": "success",
        "started_at": "2024-05-01T12:00:00Z",
        "completed_at": "2024-05-01T12:00:01Z",
    },
    {
        "number": 2,
        "name": "Run actions/checkout@v4",
        "conclusion": "success",
        "started_at": "2024-05-01T12:00:02Z",
        "completed_at": "2024-05-01T12:00:02Z",
    },
    {
        "number": 3,
        "name": "Tests",
        "conclusion": "failure",
        "started_at": "2024-05-01T12:00:03Z",
        "completed_at": "2024-05-01T12:00:07Z",
    },
    {
        "number": 4,
        "name": "Upload coverage",
        "conclusion": "skipped",
        "started_at": "2024-05-01T12:00:07Z",
        "completed_at": "2024-05-01T12:00:07Z",
    },
    {
        "number": 7,
        "name": "Post Run actions/checkout@v4",
        "conclusion": "success",
        "started_at": "2024-05-01T12:00:08Z",
        "completed_at": "2024-05-01T12:00:08Z",
    },
    {
        "number": 8,
        "name": "Complete job",
        "conclusion": "success",
        "started_at": "2024-05-01T12:00:09Z",
        "completed_at": "2024-05-01T12:00:09Z",
    },
]


# --------------------------------------------------------------------------- numbering


@pytest.mark.parametrize(
    ("raw", "texts"),
    [
        (b"", []),
        (b"\n", [""]),
        (b"a", ["a"]),
        (b"a\nb", ["a", "b"]),
        (b"a\nb\n", ["a", "b"]),
        (b"a\n\n", ["a", ""]),
        (b"a\r\nb\r\n", ["a", "b"]),
    ],
)
def test_given_a_log_when_split_then_lines_follow_the_labels_newline_contract(raw, texts):
    log = normalise_log(raw)

    assert list(log.texts) == texts
    assert log.n_lines == len(texts) and log.line_numbers.tolist() == list(range(1, 1 + len(texts)))


def test_given_an_empty_log_when_normalised_then_it_has_no_lines_steps_or_flags():
    log = normalise_log(b"")

    assert (len(log), log.n_lines, log.steps, log.groups) == (0, 0, (), ())
    assert not log.truncated and not log.is_binary and log.to_frame().empty


def test_given_form_feeds_and_vertical_tabs_when_split_then_they_do_not_break_lines():
    log = normalise_log(b"page one\x0cpage two\x0bstill line one\nline two")

    assert log.n_lines == 2
    assert log.texts[0] == f"page one{REPLACEMENT}page two{REPLACEMENT}still line one"


def test_given_a_str_log_when_normalised_then_it_equals_the_utf8_bytes_result():
    text = "héllo ✓\nwörld"

    assert normalise_log(text).texts == normalise_log(text.encode()).texts == ("héllo ✓", "wörld")


# --------------------------------------------------------------------------- cleaning


def test_given_a_github_log_when_normalised_then_timestamps_are_split_off_and_parsed():
    log = normalise_log(GITHUB_LOG)

    assert log[0] == LogLine(
        number=1,
        timestamp="2024-05-01T12:00:00.100000000Z",
        text="Requested labels: ubuntu-latest",
        step=0,
        group=None,
        is_error=False,
        is_warning=False,
    )
    assert np.all(np.diff(log.timestamps.astype(np.int64)) >= 0)


def test_given_ansi_colours_when_normalised_then_the_text_has_none():
    log = normalise_log(b"\x1b[31;1mred\x1b[0m \x1b]8;;https://x\x07link\x1b]8;;\x07 \x1b(Bdone")

    assert log.texts == ("red link done",)


def test_given_carriage_return_progress_when_normalised_then_only_the_last_frame_is_kept():
    log = normalise_log(GITHUB_LOG)

    row = log.row_of(12)
    assert log.texts[row] == "collecting 100%"
    assert log[row].timestamp == "2024-05-01T12:00:04.000000000Z"


def test_given_nul_and_control_bytes_when_normalised_then_they_become_visible_markers():
    log = normalise_log(b"compiling a\x00b\x07c\td\x1be with a few stray bytes in a long line")

    assert log.texts[0].startswith(f"compiling a{REPLACEMENT}b{REPLACEMENT}c\td{REPLACEMENT}e")
    assert not log.is_binary


def test_given_invalid_utf8_when_normalised_then_it_is_replaced_and_lines_are_kept():
    log = normalise_log(b"caf\xe9\nok\n\xff\xfe\n")

    assert log.texts == (f"caf{REPLACEMENT}", "ok", f"{REPLACEMENT}{REPLACEMENT}")


def test_given_random_bytes_when_normalised_then_the_log_is_flagged_binary_but_kept():
    data = os.urandom(256 * 1024)

    log = normalise_log(data)

    assert log.is_binary
    assert log.n_lines == data.count(b"\n") + 1 - data.endswith(b"\n") == len(log)


def test_given_a_script_tag_when_normalised_then_it_survives_as_plain_text():
    log = normalise_log(b"2024-05-01T12:00:00.0000000Z <script>alert(1)</script> &amp;")

    assert log.texts == ("<script>alert(1)</script> &amp;",)
    assert log.to_frame()["text"].tolist() == ["<script>alert(1)</script> &amp;"]


def test_given_the_existing_helpers_when_called_then_their_behaviour_is_unchanged():
    assert strip_ansi("\x1b[32mok\x1b[0m") == "ok"
    assert split_timestamp("2024-05-01T12:00:00.1234567Z hello") == (
        "2024-05-01T12:00:00.1234567Z",
        "hello",
    )
    assert split_timestamp("hello") == (None, "hello")


# --------------------------------------------------------------------------- structure


def test_given_a_github_job_log_when_normalised_then_sections_become_steps():
    log = normalise_log(GITHUB_LOG)

    assert [(s.name, s.kind, s.first_line, s.last_line) for s in log.steps] == [
        ("Set up job", "setup", 1, 5),
        ("Run actions/checkout@v4", "run", 6, 8),
        ("Run pytest -q", "run", 9, 15),
        ("Post job cleanup", "post", 16, 17),
        ("Complete job", "complete", 18, 18),
    ]
    assert log.steps[2].started_at == "2024-05-01T12:00:03.000000000Z"
    assert log.steps[2].ended_at == "2024-05-01T12:00:07.000000000Z"


def test_given_github_groups_when_normalised_then_lines_know_their_group():
    log = normalise_log(GITHUB_LOG)

    assert [g.name for g in log.groups] == [
        "Operating System",
        "Run actions/checkout@v4",
        "Run pytest -q",
    ]
    assert log[log.row_of(4)].group == "Operating System"
    assert log[log.row_of(12)].group is None


def test_given_error_and_warning_commands_when_normalised_then_lines_are_flagged():
    log = normalise_log(GITHUB_LOG + "::error file=app.py,line=3::boom\n::warning::careful\n")

    assert log.line_numbers[log.is_error].tolist() == [15, 19]
    assert log.line_numbers[log.is_warning].tolist() == [13, 20]


def test_given_a_travis_log_when_normalised_then_folds_are_steps_with_travis_times():
    raw = (
        b"travis_fold:start:install\r\x1b[0Ktravis_time:start:0a1b\r\x1b[0K$ pip install .\n"
        b"Successfully installed shop\n"
        b"travis_time:end:0a1b:start=1460887312954770370,finish=1460887322465895713,"
        b"duration=9511125343\r\x1b[0Ktravis_fold:end:install\r\x1b[0K\n"
        b"$ pytest\nFAILED tests/test_a.py::test_b\n"
    )

    log = normalise_log(raw)

    assert log.texts[0] == "$ pip install ."
    assert [(s.name, s.kind, s.first_line, s.last_line) for s in log.steps] == [
        ("install", "fold", 1, 3),
        ("", "gap", 4, 5),
    ]
    assert log.steps[0].started_at == "2016-04-17T10:01:52.954770370Z"
    assert [line.group for line in log] == ["install", "install", "install", None, None]


def test_given_a_jenkins_pipeline_log_when_normalised_then_stages_are_steps():
    raw = "\n".join(
        [
            "Started by user admin",
            "[Pipeline] node",
            "[Pipeline] {",
            "[Pipeline] stage",
            "[Pipeline] { (Build)",
            "+ mvn -B package",
            "[Pipeline] }",
            "[Pipeline] // stage",
            "[Pipeline] stage",
            "[Pipeline] { (Test)",
            "+ mvn test",
            "[ERROR] Tests run: 3",
            "[Pipeline] }",
            "[Pipeline] // stage",
            "[Pipeline] }",
            "Finished: FAILURE",
        ]
    )

    log = normalise_log(raw)

    assert [(s.name, s.kind) for s in log.steps] == [
        ("", "preamble"),
        ("Build", "stage"),
        ("", "gap"),
        ("Test", "stage"),
        ("", "gap"),
    ]
    assert log[log.row_of(11)].group == "Test"


def test_given_a_log_when_framed_then_the_frame_has_the_promised_columns():
    frame = normalise_log(GITHUB_LOG).to_frame()

    assert list(frame.columns) == [
        "line_no",
        "timestamp",
        "step",
        "group",
        "text",
        "is_error",
        "is_warning",
    ]
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["line_no"].tolist() == list(range(1, 19))


# --------------------------------------------------------------------------- truncation


def test_given_a_log_over_the_limit_when_normalised_then_head_and_tail_keep_true_numbers():
    raw = b"".join(b"line %d\n" % i for i in range(1, 100_001))

    log = normalise_log(raw, max_bytes=40_000)

    marker = int(np.flatnonzero(log.line_numbers == 0)[0])
    assert log.truncated and log.texts[marker].startswith(TRUNCATION_PREFIX)
    assert "truncated" in log.texts[marker]
    kept = [r for r in range(len(log)) if r != marker]
    assert all(log.texts[r] == f"line {log.line_numbers[r]}" for r in kept)
    assert log.line_numbers[-1] == log.n_lines == 100_000
    assert len(log) - marker > 2 * marker  # the tail, where failures are, gets more room
    assert log.row_of(50_000) is None and log.texts[log.row_of(99_999)] == "line 99999"


def test_given_a_200_mib_log_when_normalised_then_it_is_truncated_and_memory_stays_low():
    """(How fast is bench/log_parsing_bench.py's to say: a timed assertion flakes on a busy
    machine.)"""
    raw = (b"x" * 99 + b"\n") * (200 * MIB // 100)
    tracemalloc.start()

    log = normalise_log(raw)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert log.truncated and log.n_lines == 200 * MIB // 100
    assert sum(text.startswith(TRUNCATION_PREFIX) for text in log.texts) == 1
    assert peak < 200 * MIB  # about 10 times the kept 20 MiB, never a copy of the input


def test_given_a_20_mib_github_log_when_normalised_without_truncation_then_every_line_is_kept():
    block = "".join(
        f"2024-05-01T12:00:{i % 60:02d}.0000000Z \x1b[32mok\x1b[0m line {i}\n" for i in range(1000)
    ).encode()
    raw = block * (20 * MIB // len(block))

    log = normalise_log(raw, max_bytes=len(raw))

    assert not log.truncated and len(log) == 1000 * (20 * MIB // len(block))
    assert log.texts[-1] == "ok line 999"  # timestamps and colour codes gone, text kept


# --------------------------------------------------------------------------- GitHub steps


def test_given_api_steps_when_mapped_then_sections_get_numbers_and_skipped_steps_none():
    log = normalise_log(GITHUB_LOG)

    steps = map_github_steps(log, API_STEPS)

    assert [(s.number, s.name, s.first_line, s.last_line) for s in steps] == [
        (1, "Set up job", 1, 5),
        (2, "Run actions/checkout@v4", 6, 8),
        (3, "Tests", 9, 15),
        (7, "Post Run actions/checkout@v4", 16, 17),
        (8, "Complete job", 18, 18),
    ]


def test_given_only_step_names_when_mapped_then_order_and_names_decide():
    log = normalise_log(GITHUB_LOG)
    names = [
        "Set up job",
        "Run actions/checkout@v4",
        "Tests",
        "Post Run actions/checkout@v4",
        "Complete job",
    ]

    assert [s.number for s in map_github_steps(log, names)] == [1, 2, 3, 4, 5]


def test_given_a_composite_action_when_times_are_known_then_inner_runs_stay_in_its_step():
    raw = "\n".join(
        [
            "2024-05-01T12:00:00.1000000Z Current runner version: '2.316.0'",
            "2024-05-01T12:00:01.1000000Z ##[group]Run ./.github/actions/setup",
            "2024-05-01T12:00:01.2000000Z ##[group]Run actions/setup-python@v5",
            "2024-05-01T12:00:02.3000000Z ##[group]Run pip install -e .",
            "2024-05-01T12:00:05.1000000Z ##[group]Run pytest",
            "2024-05-01T12:00:06.0000000Z ##[error]Process completed with exit code 1.",
            "2024-05-01T12:00:07.0000000Z Cleaning up orphan processes",
        ]
    )
    api = [
        {
            "number": 1,
            "name": "Set up job",
            "started_at": "2024-05-01T12:00:00Z",
            "completed_at": "2024-05-01T12:00:01Z",
        },
        {
            "number": 2,
            "name": "Setup",
            "started_at": "2024-05-01T12:00:01Z",
            "completed_at": "2024-05-01T12:00:04Z",
        },
        {
            "number": 3,
            "name": "Test",
            "started_at": "2024-05-01T12:00:05Z",
            "completed_at": "2024-05-01T12:00:06Z",
        },
        {
            "number": 4,
            "name": "Complete job",
            "started_at": "2024-05-01T12:00:07Z",
            "completed_at": "2024-05-01T12:00:07Z",
        },
    ]

    steps = map_github_steps(normalise_log(raw), api)

    assert [(s.number, s.first_line, s.last_line) for s in steps] == [
        (1, 1, 1),
        (2, 2, 4),
        (3, 5, 6),
        (4, 7, 7),
    ]


def test_given_a_non_github_log_when_mapped_then_nothing_is_claimed():
    assert map_github_steps(normalise_log(b"[Pipeline] { (Build)\nmake\n"), ["Set up job"]) == ()


def test_given_a_job_url_when_linking_then_github_step_anchors_are_built():
    url = "https://github.com/acme/shop/actions/runs/1/job/2"
    log = normalise_log(GITHUB_LOG)
    tests_step = map_github_steps(log, API_STEPS)[2]

    assert github_line_url(url + "#step:1:1", 3, 7) == url + "#step:3:7"
    assert github_log_url(url, tests_step, 14) == url + "#step:3:6"
    assert github_log_url(url, tests_step, 2) is None
