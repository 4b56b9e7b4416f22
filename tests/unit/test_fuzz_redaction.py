"""Fuzz properties (issue 13) of the one secret redactor: a freshly generated secret of every
kind (:mod:`tests.planted`), embedded in arbitrary text, in a GitHub log line, in JSON, between
colour codes, never survives; redaction keeps the line count, is idempotent and leaves nothing
for :meth:`Redactor.kinds` to find; bytes that are not UTF-8 are redacted all the same."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from core.messages.redact import MARKER, Redactor
from tests.fuzz_settings import fuzz
from tests.planted import KINDS, plant

# What may stand right before or after a secret: a secret glued to letters or digits is another
# word (``xghp_...`` is no token), so the surroundings end and start with a separator. A ``(``
# or ``[`` glued after a value makes ``password=value(`` code (a call), which the redactor
# deliberately leaves alone, so those only come before.
SEPARATORS = [" ", "\n", "\t", "\r\n", "'", '"', ")", ",", ";", "|", "> ", " = ", ": "]
BEFORE = [*SEPARATORS, "(", "["]
surroundings = st.text(max_size=30)
timestamps = st.sampled_from(["", "2024-05-01T12:00:00.1234567Z "])
colours = st.sampled_from([("", ""), ("\x1b[31m", "\x1b[0m"), ("\x1b[1;33m", "\x1b[m")])


def _engine(planted) -> Redactor:
    return Redactor([planted.literal] if planted.literal else [])


def _assert_gone(planted, text: str, out: str) -> None:
    for secret in planted.secrets:
        assert secret not in out, (planted.kind, text, out)
    assert out.count("\n") == text.count("\n")


@fuzz(400)
@given(
    st.sampled_from(sorted(KINDS)),
    st.randoms(use_true_random=False),
    surroundings,
    st.sampled_from(BEFORE),
    st.sampled_from(SEPARATORS),
    surroundings,
)
def test_a_secret_of_any_kind_inside_any_text_never_survives(kind, rng, before, left, right, after):
    planted = plant(kind, rng)
    text = f"{before}{left}{planted.printed}{right}{after}"
    engine = _engine(planted)

    out = engine.redact_text(text)

    _assert_gone(planted, text, out)
    assert MARKER in out
    assert engine.redact_text(out) == out
    assert engine.kinds(out) == []


@fuzz(200)
@given(st.sampled_from(sorted(KINDS)), st.randoms(use_true_random=False), timestamps, colours)
def test_a_secret_printed_in_a_github_log_line_never_survives(kind, rng, stamp, colour):
    planted = plant(kind, rng)
    printed = planted.printed.replace("\n", f"\n{stamp}")  # every line of it timestamped
    text = f"{stamp}##[group]Run deploy\n{stamp}{colour[0]}{printed}{colour[1]}\n{stamp}done\n"
    engine = _engine(planted)

    out = engine.redact_text(text)

    _assert_gone(planted, text, out)
    assert engine.redact_text(out) == out


@fuzz(200)
@given(st.sampled_from(sorted(KINDS)), st.randoms(use_true_random=False), surroundings)
def test_a_secret_inside_a_json_document_never_survives(kind, rng, note):
    planted = plant(kind, rng)
    text = json.dumps({"note": note, "error": planted.printed, "n": 1})
    engine = _engine(planted)

    out = engine.redact_text(text)

    for secret in planted.secrets:
        assert secret not in out and json.dumps(secret)[1:-1] not in out, (text, out)
    assert engine.redact_text(out) == out


@fuzz(200)
@given(st.sampled_from(sorted(KINDS)), st.randoms(use_true_random=False), st.binary(max_size=40))
def test_a_secret_among_bytes_that_are_not_utf8_never_survives(kind, rng, noise):
    planted = plant(kind, rng)
    data = noise + b"\n" + planted.printed.encode() + b"\n" + noise
    engine = _engine(planted)

    out = engine.redact_bytes(data)

    for secret in planted.secrets:
        assert secret.encode() not in out
    assert out.count(b"\n") == data.count(b"\n")
    assert engine.redact_bytes(out) == out


@fuzz(300)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(SEPARATORS)), max_size=30))
def test_redaction_of_any_text_keeps_its_lines_and_is_idempotent(parts):
    text = "".join(parts)
    engine = Redactor(["configured-secret-123"])

    out = engine.redact_text(text)

    assert out.count("\n") == text.count("\n")
    assert engine.redact_text(out) == out
    assert engine.kinds(out) == []
