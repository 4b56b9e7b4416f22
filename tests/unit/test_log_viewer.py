"""Specification of the Pipelines page's log viewer (agents.pipeline_monitor.log_viewer).

A log opens on its cause with the line highlighted; ``##[group]``s are folds, open when they
hold an error; lines are whole and keep the stored log's own numbers (also when only its head
and tail were kept); error lines are offered by their text; search is plain text; every window
is bounded; and the HTML drawn for ``st.html`` shows untrusted log text as text, never as
markup or Markdown.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from agents.pipeline_monitor.log_viewer import (
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    MAX_LISTED,
    PAGE_ROWS,
    display_line,
    filtered_lines,
    index_log,
    log_html,
    log_window,
)
from core.logs.normalise import normalise_log

JOB_URL = "https://github.com/acme/shop/actions/runs/1/job/2"
T = "2024-05-01T12:00:{:02d}.0000000Z "


def stamped(lines: list[str]) -> str:
    """A GitHub job log: each line with the timestamp GitHub prefixes."""
    return "\n".join(T.format(min(59, n)) + line for n, line in enumerate(lines)) + "\n"


# A failing npm job as GitHub's job log has it (line numbers in the comments).
NPM_LOG = stamped(
    [
        "Current runner version: '2.316.0'",  # 1
        "##[group]Operating System",  # 2
        "Ubuntu 22.04",  # 3
        "##[endgroup]",  # 4
        "##[group]Run actions/checkout@v4",  # 5
        "with:",  # 6
        "##[endgroup]",  # 7
        "Syncing repository: acme/shop",  # 8
        "##[group]Run npm ci",  # 9
        "\x1b[36;1mnpm ci\x1b[0m",  # 10
        "continue-on-error: false",  # 11  (the command header: not an error)
        "##[endgroup]",  # 12
        "npm WARN deprecated inflight@1.0.6",  # 13
        "npm ERR! code ERESOLVE",  # 14
        "npm ERR! ERESOLVE unable to resolve dependency tree",  # 15
        "npm ERR! Found: react@18.2.0",  # 16
        "##[error]Process completed with exit code 1.",  # 17
        "Post job cleanup.",  # 18
        "Cleaning up orphan processes",  # 19
    ]
)
NPM_STEPS = [
    {"number": 1, "name": "Set up job", "conclusion": "success"},
    {"number": 2, "name": "Check out", "conclusion": "success"},
    {"number": 3, "name": "Install", "conclusion": "failure"},
    {"number": 4, "name": "Post Check out", "conclusion": "success"},
    {"number": 5, "name": "Complete job", "conclusion": "success"},
]


@pytest.fixture(scope="module")
def npm():
    return index_log(normalise_log(NPM_LOG), JOB_URL, NPM_STEPS)


def numbers(window) -> list[int]:
    return [line.number for line in window.lines]


# --------------------------------------------------------------------------- lines as on GitHub


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("##[group]Run npm ci", ("group", "Run npm ci")),
        ("::group::Install deps", ("group", "Install deps")),
        ("##[endgroup]", ("endgroup", "")),
        (
            "##[error]Process completed with exit code 1.",
            ("error", "Error: Process completed with exit code 1."),
        ),
        ("##[warning]Node 16 is deprecated", ("warning", "Warning: Node 16 is deprecated")),
        ("##[command]/usr/bin/git version", ("command", "/usr/bin/git version")),
        ("[36;1mnpm ci[0m", ("text", "npm ci")),
        ("values[1m and array[0m stay", ("text", "values[1m and array[0m stay")),
        ("plain <b>text</b>", ("text", "plain <b>text</b>")),
    ],
)
def test_given_a_marker_line_when_displayed_then_it_reads_as_on_github(raw, shown):
    assert display_line(raw) == shown


def test_given_ansi_colour_codes_when_viewed_then_they_are_gone_and_the_text_stays():
    raw = "\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m\n\x1b]0;title\x07done\n"

    window = log_window(index_log(normalise_log(raw)))

    assert [line.text for line in window.lines] == ["red and bold green", "done"]
    assert "\x1b" not in log_html(window) and "[0m" not in log_html(window)


# --------------------------------------------------------------------------- error lines by text


def test_given_a_failed_log_when_indexed_then_error_lines_are_offered_by_their_text(npm):
    labels = [error.label for error in npm.errors]

    assert labels == [
        "L14: npm ERR! code ERESOLVE",
        "L15: npm ERR! ERESOLVE unable to resolve dependency tree",
        "L16: npm ERR! Found: react@18.2.0",
        "L17: Error: Process completed with exit code 1.",
    ]
    assert [error.annotation for error in npm.errors] == [False, False, False, True]


def test_given_a_long_error_line_when_labelled_then_the_label_is_cut_with_an_ellipsis():
    long = "error: " + "x" * 300

    (error,) = index_log(normalise_log(long)).errors

    assert error.label.startswith("L1: error: xxx") and error.label.endswith("…")
    assert len(error.label) <= 120 and error.text == long


def test_given_a_step_command_header_when_indexed_then_its_words_are_not_errors(npm):
    assert 11 not in [error.number for error in npm.errors]  # "continue-on-error: false"


def test_given_a_failed_log_when_opened_then_it_opens_on_the_first_error_of_the_failed_step(npm):
    assert npm.cause == 14


def test_given_an_earlier_noisy_step_when_opened_then_the_failed_steps_error_still_wins():
    log = stamped(
        [
            "##[group]Run ./lint.sh",
            "##[endgroup]",
            "lint: 0 problems (error handler registered)",  # noise in a step that passed
            "##[group]Run pytest",
            "##[endgroup]",
            "E   AssertionError: 3 != 4",
            "##[error]Process completed with exit code 1.",
        ]
    )

    assert index_log(normalise_log(log)).cause == 6


def test_given_no_annotation_when_opened_then_the_first_error_line_and_else_the_top():
    flagged = index_log(normalise_log("ok\nTraceback (most recent call last):\nboom\n"))
    clean = index_log(normalise_log("all\ngood\n"))

    assert flagged.cause == 2
    assert clean.cause is None and clean.errors == ()
    assert numbers(log_window(clean, at=clean.cause)) == [1, 2]


# --------------------------------------------------------------------------- windows and folds


def test_given_an_error_line_when_jumped_to_then_its_context_shows_with_it_highlighted(npm):
    window = log_window(npm, at=15, before=3, after=2)

    assert numbers(window) == [13, 14, 15, 16, 17]
    assert [line.number for line in window.lines if line.selected] == [15]
    assert window.selected == 15
    assert all(line.error for line in window.lines if line.number in (14, 15, 16, 17))


def test_given_a_line_to_jump_to_when_windowed_then_the_default_context_surrounds_it():
    index = index_log(normalise_log("\n".join(f"line {n}" for n in range(1, 301))))

    window = log_window(index, at=150)

    assert numbers(window) == list(range(150 - CONTEXT_BEFORE, 150 + CONTEXT_AFTER + 1))
    assert window.selected == 150


def test_given_groups_when_windowed_then_each_is_a_fold_open_only_when_it_holds_an_error():
    log = stamped(
        [
            "##[group]Run make",  # 1
            "make all",  # 2
            "##[endgroup]",  # 3
            "building",  # 4
            "::group::Compile",  # 5
            "cc -c a.c",  # 6
            "a.c:3: error: expected ';'",  # 7
            "::endgroup::",  # 8
            "::group::Link",  # 9
            "ld a.o",  # 10
            "::endgroup::",  # 11
        ]
    )

    window = log_window(index_log(normalise_log(log)))
    folds = {block.title: block for block in window.blocks if block.title}

    assert list(folds) == ["Run make", "Compile", "Link"]
    assert [folds[t].open for t in folds] == [False, True, False]
    assert [folds[t].title_line for t in folds] == [1, 5, 9]
    assert [line.number for line in folds["Compile"].lines] == [6, 7]
    assert numbers(window) == [2, 4, 6, 7, 10]  # markers are folds, not lines
    html = log_html(window)
    assert html.count("<details") == 3 and html.count('<details class="cim-g" open>') == 1


def test_given_a_window_starting_inside_a_group_when_drawn_then_the_fold_says_continued():
    log = stamped(["##[group]Run big"] + [f"line {n}" for n in range(2, 40)] + ["##[endgroup]"])

    window = log_window(index_log(normalise_log(log)), start=10, size=5)

    (block,) = window.blocks
    assert block.title == "Run big" and block.continued and block.title_line is None
    assert numbers(window) == [11, 12, 13, 14, 15]
    assert "Run big (continued)" in log_html(window)


def test_given_api_steps_when_windowed_then_each_step_gets_a_heading_once(npm):
    window = log_window(npm)

    headings = [block.step for block in window.blocks if block.step]

    assert headings == [
        "Step 1 · Set up job",
        "Step 2 · Check out",
        "Step 3 · Install",
        "Step 4 · Post Check out",
        "Step 5 · Complete job",
    ]


# --------------------------------------------------------------------------- true line numbers


def test_given_a_log_kept_head_and_tail_when_jumped_to_then_numbers_are_the_originals():
    raw = "\n".join(f"line {n:05d} " + "." * 40 for n in range(1, 20001))
    raw += "\nnpm ERR! ERESOLVE at the very end\n"
    index = index_log(normalise_log(raw, max_bytes=100_000))

    (error,) = index.errors
    window = log_window(index, at=error.number)

    assert index.log.truncated and error.number == 20001
    assert error.label == "L20001: npm ERR! ERESOLVE at the very end"
    assert numbers(window)[-1] == 20001 and numbers(window)[0] == 20001 - 20
    assert [line.number for line in window.lines if line.selected] == [20001]


def test_given_a_dropped_line_when_jumped_to_then_the_truncation_notice_is_shown():
    raw = "\n".join(f"line {n:05d} " + "." * 40 for n in range(1, 20001))
    index = index_log(normalise_log(raw, max_bytes=100_000))

    window = log_window(index, at=10_000)

    notice = [line for line in window.lines if line.number == 0]
    assert len(notice) == 1 and "truncated" in notice[0].text and notice[0].kind == "notice"
    assert window.selected is None
    assert "of 20,000 lines, of which" in window.message


# --------------------------------------------------------------------------- bounded views


def test_given_a_long_log_when_paged_then_each_page_is_bounded_and_says_where_it_is():
    index = index_log(normalise_log("\n".join(f"line {n}" for n in range(1, 1001))))

    first = log_window(index)
    second = log_window(index, start=first.later)
    last = log_window(index, start=10_000)

    assert numbers(first) == list(range(1, PAGE_ROWS + 1)) and first.earlier is None
    assert numbers(second)[0] == PAGE_ROWS + 1 and second.earlier == 0
    assert numbers(last)[-1] == 1000 and last.later is None and len(last.lines) == PAGE_ROWS
    assert first.message == f"Lines 1–{PAGE_ROWS} of 1,000 lines."


def test_given_a_huge_log_when_drawn_then_the_html_stays_small():
    raw = "\n".join(f"error: line {n} " + "x" * 80 for n in range(1, 100_001))
    index = index_log(normalise_log(raw))

    context = log_html(log_window(index, at=50_000))
    listed = filtered_lines(index, errors_only=True)

    assert len(index.errors) == MAX_LISTED
    assert len(context) < 40_000
    assert len(listed.lines) == MAX_LISTED and "showing the first 500" in listed.message


def test_given_more_error_lines_than_listed_when_indexed_then_the_cause_and_annotations_stay():
    noisy = ["##[group]Run ./noisy.sh", "##[endgroup]"] + [f"error: retry {n}" for n in range(600)]
    failing = ["##[group]Run make", "##[endgroup]", "make: *** [all] Error 2"]
    raw = "\n".join(noisy + failing + ["##[error]Process completed with exit code 2."])

    index = index_log(normalise_log(raw))
    listed = [error.number for error in index.errors]

    assert len(listed) == MAX_LISTED and listed == sorted(listed)
    assert index.cause == 605 and 605 in listed and 606 in listed


# --------------------------------------------------------------------------- search


def test_given_search_text_when_filtered_then_plain_case_insensitive_matches_keep_numbers(npm):
    found = filtered_lines(npm, search="eresolve")
    nothing = filtered_lines(npm, search="ERR! (")

    assert numbers(found) == [14, 15] and all(line.hit for line in found.lines)
    assert "2 of 19 lines containing “eresolve”" in found.message
    assert nothing.lines == []  # "(" is text, not a broken regular expression
    assert "npm ERR! code <mark>ERESOLVE</mark>" in log_html(found)


def test_given_errors_only_when_filtered_then_only_error_lines_remain(npm):
    window = filtered_lines(npm, errors_only=True)

    assert numbers(window) == [14, 15, 16, 17]


# --------------------------------------------------------------------------- links to GitHub


def test_given_api_steps_when_drawn_then_line_numbers_link_to_the_line_in_its_step(npm):
    window = log_window(npm, at=17)
    by_number = {line.number: line.url for line in window.lines}

    assert by_number[17] == JOB_URL + "#step:3:9"  # line 17 is the 9th line of step 3
    assert npm.line_url(17) == JOB_URL + "#step:3:9"
    assert f'href="{JOB_URL}#step:3:9"' in log_html(window)


def test_given_a_composite_action_when_indexed_then_lines_link_to_their_own_step():
    log = "\n".join(
        [
            "2024-05-01T12:00:00.1000000Z Current runner version: '2.316.0'",
            "2024-05-01T12:00:01.1000000Z ##[group]Run ./.github/actions/setup",
            "2024-05-01T12:00:01.2000000Z ##[group]Run actions/setup-python@v5",
            "2024-05-01T12:00:02.3000000Z ##[group]Run pip install -e .",
            "2024-05-01T12:00:05.1000000Z ##[group]Run pytest",
            "2024-05-01T12:00:05.5000000Z E   AssertionError: 3 != 4",
            "2024-05-01T12:00:06.0000000Z ##[error]Process completed with exit code 1.",
            "2024-05-01T12:00:07.0000000Z Cleaning up orphan processes",
        ]
    )
    steps = [
        {
            "number": n,
            "name": name,
            "started_at": f"2024-05-01T12:00:{a:02d}Z",
            "completed_at": f"2024-05-01T12:00:{b:02d}Z",
        }
        for n, name, a, b in [
            (1, "Set up job", 0, 1),
            (2, "Setup", 1, 4),
            (3, "Test", 5, 6),
            (4, "Complete job", 7, 7),
        ]
    ]

    index = index_log(normalise_log(log), JOB_URL, steps)
    found = filtered_lines(index, search="AssertionError")

    assert index.line_url(6) == JOB_URL + "#step:3:2"  # the 2nd line of step 3, not of the setup
    assert index.line_url(1) == JOB_URL + "#step:1:1"
    assert [block.step for block in found.blocks] == ["Step 3 · Test"]


def test_given_no_api_steps_when_drawn_then_lines_are_not_linked_but_the_job_is():
    index = index_log(normalise_log("a\nerror: b\n"), JOB_URL)

    assert index.line_url(2) == JOB_URL
    assert "<a " not in log_html(log_window(index))


# --------------------------------------------------------------------------- security

HOSTILE = [
    "<script>alert('owned')</script>",
    '<img src=x onerror="alert(1)">',
    "![x](http://evil.example/pixel.png)",
    "[link](http://x.example)",
    "$katex$ and $$\\frac{1}{0}$$",
    "&lt;already escaped&gt; & raw ampersand",
    "</div></details><style>body{display:none}</style>",
    "error: javascript:alert(1) <a href='javascript:alert(2)'>x</a>",
]


class _Tags(HTMLParser):
    """Every tag and attribute of a document, and the text of each ``cim-t`` span."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if self._depth:
            self._depth += 1
        elif tag == "span" and dict(attrs).get("class") == "cim-t":
            self._depth = 1
            self.texts.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.texts[-1] += data


def _parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def hostile():
    raw = stamped(
        [
            "##[group]Run <b>echo</b> ![x](http://evil)",  # 1: the step's command header
            "echo hi",  # 2
            "##[endgroup]",  # 3
            "::group::<u>inner</u> $k$",  # 4
            *HOSTILE,  # 5-12
            "::endgroup::",  # 13
        ]
    )
    steps = [{"number": 1, "name": "Set up job"}, {"number": 2, "name": "<i>Test</i> [x](y)"}]
    return index_log(normalise_log(raw), JOB_URL, steps)


@pytest.mark.parametrize("mode", ["context", "page", "search", "errors"])
def test_given_hostile_log_text_when_drawn_then_it_is_only_ever_text(hostile, mode):
    window = {
        "context": lambda: log_window(hostile, at=12),
        "page": lambda: log_window(hostile, start=0),
        "search": lambda: filtered_lines(hostile, search="<"),
        "errors": lambda: filtered_lines(hostile, errors_only=True),
    }[mode]()

    html = log_html(window, style=False)
    parsed = _parsed(html)

    allowed = {"div", "span", "a", "details", "summary", "mark"}
    assert {tag for tag, _ in parsed.tags} <= allowed
    for tag, attrs in parsed.tags:
        assert set(attrs) <= {"class", "href", "target", "rel", "title", "open"}, (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith(JOB_URL + "#step:")
    shown = {line.text for line in window.lines}
    assert shown <= set(parsed.texts)  # each line's text comes back exactly, as text
    assert "<script" not in html and "<img" not in html and "<style" not in html
    for line in HOSTILE:
        if line in shown:
            assert line in parsed.texts


def test_given_hostile_text_when_drawn_then_markdown_and_maths_stay_literal(hostile):
    html = log_html(log_window(hostile, start=0), style=False)

    assert "![x](http://evil.example/pixel.png)" in html  # st.html applies no Markdown
    assert "[link](http://x.example)" in html
    assert "$katex$ and $$\\frac{1}{0}$$" in html
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in html
    assert "&amp;lt;already escaped&amp;gt; &amp; raw ampersand" in html
    assert "Run &lt;b&gt;echo&lt;/b&gt; ![x](http://evil)" in html  # a fold's title, too
    assert "Step 2 · &lt;i&gt;Test&lt;/i&gt; [x](y)" in html  # a step name from the API, too


def test_given_a_search_for_markup_when_marked_then_the_match_is_escaped_too(hostile):
    html = log_html(filtered_lines(hostile, search="<SCRIPT>"), style=False)

    assert "<mark>&lt;script&gt;</mark>alert(&#x27;owned&#x27;)&lt;/script&gt;" in html


def test_given_a_stored_link_that_is_not_http_when_drawn_then_nothing_links_to_it():
    index = index_log(normalise_log("error: x\n"), "javascript:alert(1)", ["Set up job"])

    assert index.job_url is None and index.line_url(1) is None
    assert "javascript" not in log_html(log_window(index)).replace("error: x", "")
