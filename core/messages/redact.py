"""The secret redactor: credentials out of every log before it is stored and out of every
message before it is published, with the line structure of the text kept.

What it finds (each rule is tested against the cases of the detect-secrets plugins it follows):
GitHub tokens (``ghp_ gho_ ghu_ ghs_ ghr_ github_pat_``), AWS access key ids (``AKIA...``) and
secret keys in assignments (``aws_secret_access_key=``, ``AWS_SECRET_ACCESS_KEY: "..."``, with or
without spaces and quotes), private key blocks, JSON Web Tokens, ``Authorization:`` headers and
``Bearer`` tokens, passwords in URLs (``scheme://user:[REDACTED]@host``), npm tokens and
``.npmrc`` credentials, Slack tokens and webhooks, Stripe, Google, Azure, SendGrid, PyPI and
GitLab keys, signatures of pre-signed URLs, ``::add-mask::`` values, generic assignments
(``password=``, ``secret:``, ``token=``, ``api_key=`` ... with a value that is not a placeholder
such as ``***``, ``${VAR}`` or ``<password>``), and the literal secrets of the configuration
(the GitHub token, AWS keys), even when such a value holds a line break or a space and is printed
across lines, JSON-escaped or ``repr``-escaped (``requests`` tracebacks).

How it replaces: only the secret becomes ``[REDACTED]``, never the whole line; a secret that
crosses line breaks (a private key's body, a token holding a newline) keeps every line break and
each line's GitHub timestamp. A redacted text therefore has exactly the lines of the original
(RCA reports 1-based line numbers on stored logs), redacting twice changes nothing (the marker
matches no rule) and a redacted text holds nothing :meth:`Redactor.kinds` reports.

Speed: every rule is a regular expression that begins with a literal (``ghp_``, ``eyJ``,
``://``, ``password``...), so CPython's matcher jumps from candidate to candidate with its fast
literal scan instead of trying every position; word-boundary checks are lookbehinds placed after
that literal. Case-insensitive rules run on one ``bytes.lower()`` copy (ASCII only, so offsets
are the same). Matching is linear: every repetition is bounded or possessive. A 20 MiB log takes
a few tenths of a second (``tests/unit/test_redaction.py`` measures it).

The known literal secrets are the values given to :func:`remember_secrets` plus those in the
environment (``GITHUB_TOKEN``, ``CI_MEDIC_GITHUB_TOKEN``, ``AWS_SECRET_ACCESS_KEY``...); values
shorter than 8 characters are never treated as secrets (they would blank ordinary words).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from core.config import Settings

__all__ = [
    "MARKER",
    "MIN_LITERAL",
    "SECRET_ENV_VARS",
    "Redactor",
    "redactor",
    "redact_text",
    "redact_bytes",
    "redact_kept",
    "secret_kinds",
    "remember_secrets",
    "known_secrets",
    "secret_values",
    "redact_value",
]

MARKER = "[REDACTED]"
MIN_LITERAL = 8
SECRET_ENV_VARS = (
    "CI_MEDIC_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
"""Environment variables whose values are secrets wherever they appear."""

_MARK = MARKER.encode()
_MARK_LOWER = _MARK.lower()
_GLUE = frozenset(
    bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.%:@"
)
K = TypeVar("K")

# -- shared fragments (bytes patterns) ------------------------------------------------------
_TS = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"  # GitHub's line timestamp
_ANSI = rb"\x1b\[[0-9;]{0,32}m"  # a colour code inside a value
_KEY_END = rb"(?:\\?[\"'\]]){0,2}"  # a key's closing quote or bracket, maybe JSON-escaped
_OPEN_Q = rb"(?:\\?[\"'])"  # an opening quote, maybe JSON-escaped
_SEP = rb"(?:[ \t\r\n\x0b\x0c]|\\(?:[nrtvf]|x0[bc])|" + _TS + rb")+"  # inside a split literal

_PLACEHOLDER_START = frozenset(b"$%{<*[(#@")
_NOT_SECRET_WORDS = frozenset(
    b"none null nil true false yes no undefined unset empty redacted hidden masked required "
    b"optional default string secret password token value placeholder".split()
)
_NOT_SECRET_SUFFIXES = frozenset(
    b"url uri urls file files path paths dir name names type types endpoint length len count "
    b"expires expiry expiration expiresin env header headers format scope scopes ttl field "
    b"fields prefix provider policy usage limit limits source kind mode method version timeout "
    b"lifetime duration algorithm alg location server host port user username login label "
    b"arn ref refs store manager rotation enabled disabled required".split()
)
_DOTTED_NAME = re.compile(rb"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
_ANSI_RX = re.compile(_ANSI)
_SUFFIX_SPLIT = re.compile(rb"[_.-]")
_NOT_SECRET_STARTS = (b"http://", b"https://", b"http/", b"file:", b"/", b"./", b"../", b"~/")
_KEY_CHARS = b"abcdefghijklmnopqrstuvwxyz0123456789_.-"
_CALL_OR_INDEX = re.compile(rb"[a-z_][a-z0-9_.]*[(\[]")
_HEX = re.compile(rb"[0-9a-f]+")
_NOT_PLAIN_WORD = re.compile(rb"[^a-z_-]")
_LINE = re.compile(rb"((?:" + _TS + rb" ?)?[ \t]*)(.*?)([ \t\r]*)", re.DOTALL)


# -- rules ----------------------------------------------------------------------------------
Picker = Callable[[re.Match[bytes]], "tuple[int, int] | None"]


@dataclass(frozen=True)
class _Rule:
    kind: str
    regex: re.Pattern[bytes]
    lower: bool = False  # matched on the lower-cased copy
    pick: Picker | None = None  # the secret's span, or None when it is not a secret after all


def _secret_span(match: re.Match[bytes]) -> tuple[int, int]:
    """The span of the group named ``s`` (or ``u``) when the pattern has one, else the match."""
    groups = match.re.groupindex
    for name in ("s", "u"):
        if name in groups and match.start(name) >= 0:
            return match.span(name)
    return match.span()


def _is_placeholder(value: bytes) -> bool:
    """``***``, ``${TOKEN}``, ``<password>``, ``[REDACTED]``, ``none``... (``value`` lowered)."""
    if not value or value[0] in _PLACEHOLDER_START or value.startswith(_MARK_LOWER):
        return True
    stripped = value.strip(b"\"'`")
    return stripped in _NOT_SECRET_WORDS or not stripped.strip(b"x*.-_")


def _free_value(min_len: int = 1) -> Picker:
    """A picker for free-form values (headers, URLs, .npmrc): anything but a placeholder."""

    def pick(match: re.Match[bytes]) -> tuple[int, int] | None:
        start, end = _secret_span(match)
        value = match.string[start:end]
        if end - start < min_len or _is_placeholder(value):
            return None
        scheme = match.re.groupindex.get("scheme")
        if scheme is not None and match.group("scheme") is None and value in _SCHEMES:
            return None  # "Authorization: Bearer" with nothing after the scheme
        return start, end

    return pick


_SCHEMES = frozenset(b"bearer basic token bot digest negotiate ntlm apikey key".split())


def _pick_assignment(match: re.Match[bytes]) -> tuple[int, int] | None:
    """``password=...``, ``secret: ...``: a value that looks like a secret, not like code."""
    quoted = match.start("s") >= 0
    start, end = match.span("s" if quoted else "u")
    value = match.string[start:end]
    if not quoted and match.group("op") == b":" and b"@" in value:
        end = start + value.index(b"@")  # x-access-token:<token>@github.com: up to the host
        value = value[: end - start]
    if not quoted and b"&" in value and _in_query(match.string, match.start()):
        end = start + value.index(b"&")  # ?access_token=<token>&v=2: up to the next parameter
        value = value[: end - start]
    if b"\x1b" in value:
        value = _ANSI_RX.sub(b"", value)
    if len(value) < 6 or _is_placeholder(value):
        return None
    if match.string[max(0, match.start() - 9) : match.start()] == b"publickey":
        return None  # .NET's PublicKeyToken=b77a5c561934e089 names an assembly's signer
    suffix = match.group("suffix")
    if suffix and any(part in _NOT_SECRET_SUFFIXES for part in _SUFFIX_SPLIT.split(suffix)):
        return None  # token_url=, secret_name=, password_file=
    if value.startswith(_NOT_SECRET_STARTS):
        return None  # a URL (its credentials have their own rule) or a path
    if not quoted:
        if _DOTTED_NAME.fullmatch(value) or _CALL_OR_INDEX.match(value):
            return None  # token = self.token, password = get_password(), os.environ["X"]
        if (
            len(value) < 16
            and match.group("op") == b":"
            and not _NOT_PLAIN_WORD.search(value.replace(b"-", b""))
        ):
            return None  # "token: expired", "secret: missing" (prose, not a value)
    return start, end


def _in_query(text: bytes, keyword_at: int) -> bool:
    """Whether the key holding the keyword at ``keyword_at`` is a URL query parameter."""
    head = text[max(0, keyword_at - 64) : keyword_at]
    key_start = len(head.rstrip(_KEY_CHARS))
    return key_start > 0 and head[key_start - 1 : key_start] in (b"?", b"&")


def _pick_aws_secret(match: re.Match[bytes]) -> tuple[int, int] | None:
    start, end = match.span("s")
    return None if _HEX.fullmatch(match.string[start:end]) else (start, end)  # a commit SHA


def _pick_url_credentials(match: re.Match[bytes]) -> tuple[int, int] | None:
    start, end = match.span("s")
    value = match.string[start:end].lower()
    if value == b"x-oauth-basic":  # https://<token>:x-oauth-basic@github.com
        user = match.span("user")
        return user if user[1] > user[0] else None
    if value[0] in _PLACEHOLDER_START or value.startswith(_MARK_LOWER):
        return None  # ${TOKEN}, ***, <password>, [REDACTED]: words like 'password' do count
    return start, end


def _rx(pattern: bytes) -> re.Pattern[bytes]:
    return re.compile(pattern, re.DOTALL)


_ASSIGNMENT_KEYWORDS = (
    rb"pass(?:word|wd|phrase)",
    rb"secret",
    rb"token",
    rb"api[_-]?key",
    rb"access[_-]?key",
    rb"auth[_-]?key",
    rb"private[_-]?key",
    rb"credentials?",
)


def _assignment(keyword: bytes) -> re.Pattern[bytes]:
    return _rx(
        rb"(?P<k>" + keyword + rb")"
        rb"(?P<suffix>(?:key|value|hash|string|str|b64|base64)?(?:[_.-][a-z0-9]+){0,4}+)"
        + _KEY_END
        + rb"[ \t]*(?P<op>:=|=(?![=>~])|:(?=[ \t]|\\?[\"']))[ \t]*(?![$%{<*\[#@])"
        rb"(?:(?P<q>\\?[\"'])(?![$%{<*\[#@])(?P<s>[^\"'\\\r\n]{6,512}+)"
        rb"|(?P<u>(?:" + _ANSI + rb"|\([^\s\"'`,;()}\]<>\\]{0,64}+\)"
        rb"|[^\s\"'`,;)}\]<>\\\x1b]){1,512}+))"
    )


RULES: tuple[_Rule, ...] = (
    _Rule("GitHub token", _rx(rb"gh[pousr]_[A-Za-z0-9]{30,}+")),
    _Rule("GitHub token", _rx(rb"github_pat_[A-Za-z0-9_]{22,}+")),
    _Rule(
        "AWS access key id",
        _rx(rb"A(?<![0-9A-Z]A)(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}(?![0-9A-Z])"),
    ),
    _Rule(
        "AWS secret access key",
        _rx(
            rb"aws[a-z0-9_.-]{0,40}+"
            + _KEY_END
            + rb"[ \t]*(?::=|=|:|[ \t])[ \t]*"
            + _OPEN_Q
            + rb"?(?P<s>[a-z0-9/+]{40})(?![a-z0-9/+=])"
        ),
        lower=True,
        pick=_pick_aws_secret,
    ),
    _Rule(
        "private key",
        _rx(
            rb"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
            rb"(?P<s>(?:" + _TS + rb"|\\[nrt]|(?:Proc-Type|DEK-Info|Comment|Version):"
            rb"[^\n\\]{0,200}+|[A-Za-z0-9+/= \t\r\n])*+)"
        ),
    ),
    _Rule(
        "JSON Web Token",
        _rx(rb"eyJ[A-Za-z0-9_-]{10,}+=*\.[A-Za-z0-9_-]{4,}+=*(?:\.[A-Za-z0-9_-]++=*){0,3}+"),
    ),
    _Rule(
        "Authorization header",
        _rx(
            rb"authorization"
            + _KEY_END
            + rb"[ \t]*(?:=[ \t]*|:[ \t]+|:(?=\\?[\"']))"
            + _OPEN_Q
            + rb"?(?:(?P<scheme>bearer|basic|token|bot|digest|negotiate|ntlm|apikey|key)"
            rb"[ \t]+)?(?P<s>[^\s\"',;\\]{1,8192}+)"
        ),
        lower=True,
        pick=_free_value(4),
    ),
    _Rule(
        "Bearer token",
        _rx(rb"bearer[ \t]+(?P<s>[a-z0-9._~+/-]{16,8192}+=*)"),
        lower=True,
        pick=_free_value(),
    ),
    _Rule(
        "URL credentials",
        _rx(rb"://(?P<user>[^\s:/?#@\"'<>\\\[\]]{0,256}+):(?P<s>[^\s/?#@\"'<>\\]{1,1024}+)@"),
        pick=_pick_url_credentials,
    ),
    _Rule("npm token", _rx(rb"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])")),
    _Rule(
        "npm token",
        _rx(rb":_auth(?:token)?[ \t]*=[ \t]*(?P<s>[^\s\"'\\]{1,8192}+)"),
        lower=True,
        pick=_free_value(),
    ),
    _Rule("Slack token", _rx(rb"xox[abposr]-[A-Za-z0-9-]{10,}+")),
    _Rule(
        "Slack webhook",
        _rx(rb"hooks\.slack\.com/services/(?P<s>T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+)"),
    ),
    _Rule("Stripe key", _rx(rb"k_(?<=[rs]k_)(?:live|test)_(?P<s>[0-9A-Za-z]{24,}+)")),
    _Rule("Stripe key", _rx(rb"whsec_(?P<s>[A-Za-z0-9+/=]{24,}+)")),
    _Rule("Google API key", _rx(rb"AIza[0-9A-Za-z_-]{35}")),
    *(
        _Rule("Azure key", _rx(name + rb"key=(?P<s>[a-z0-9+/]{20,}+={0,2})"), lower=True)
        for name in (rb"account", rb"sharedaccess")
    ),
    _Rule(
        "signed URL",
        _rx(rb"sig=(?<=[?&]sig=)(?P<s>[^\s&\"'#<>\\]{8,}+)"),
        lower=True,
        pick=_free_value(),
    ),
    _Rule(
        "signed URL",
        _rx(
            rb"x-(?:amz|goog)-(?:signature|security-token|credential)="
            rb"(?P<s>[^\s&\"'#<>\\]{8,}+)"
        ),
        lower=True,
        pick=_free_value(),
    ),
    _Rule("SendGrid key", _rx(rb"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    _Rule("PyPI token", _rx(rb"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}+")),
    _Rule("GitLab token", _rx(rb"glpat-[A-Za-z0-9_-]{20,}+")),
    _Rule("masked value", _rx(rb"::add-mask::(?P<s>[^\r\n]{1,8192}+)"), pick=_free_value()),
    *(
        _Rule("secret assignment", _assignment(k), lower=True, pick=_pick_assignment)
        for k in _ASSIGNMENT_KEYWORDS
    ),
)
"""In priority order: a span found by several rules is reported as the first one's kind."""

LITERAL_KIND = "configured secret"


def _literal_rules(literals: Iterable[str]) -> list[_Rule]:
    """Case-sensitive rules for known values: as printed, split across lines, escaped."""
    rules: list[_Rule] = []
    seen: set[bytes] = set()
    for literal in literals:
        pieces = literal.split()
        if len("".join(pieces)) < MIN_LITERAL:
            continue
        forms = [[_forms(piece) for piece in pieces]]
        if len(pieces) > 1:  # each long piece alone too: a wrapped line, a cut traceback
            forms += [[_forms(piece)] for piece in pieces if len(piece) >= MIN_LITERAL]
        for variants in forms:
            for first in variants[0]:
                rest = b"".join(_SEP + _alternatives(v) for v in variants[1:])
                pattern = re.escape(first) + rest
                if pattern not in seen:
                    seen.add(pattern)
                    rules.append(_Rule(LITERAL_KIND, _rx(pattern)))
    return rules


def _forms(piece: str) -> list[bytes]:
    """A piece as printed, as JSON writes it and as ``repr`` writes it."""
    raw = piece.encode("utf-8", "surrogatepass")
    out = [raw]
    for form in (json.dumps(piece)[1:-1], repr(piece)[1:-1]):
        encoded = form.encode("utf-8", "surrogatepass")
        if encoded not in out:
            out.append(encoded)
    return out


def _alternatives(variants: list[bytes]) -> bytes:
    if len(variants) == 1:
        return re.escape(variants[0])
    return b"(?:" + b"|".join(re.escape(v) for v in variants) + b")"


# -- the redactor ---------------------------------------------------------------------------
SHORT_TEXT = 512  # characters: texts up to this long are memoised per redactor
SHORT_TEXTS = 1 << 16  # how many of them (a few MB at most)


class Redactor:
    """The rules plus some literal secrets; thread-safe and reusable (see :func:`redactor`)."""

    def __init__(self, literals: Iterable[str] = ()) -> None:
        self.literals = tuple(sorted({v for v in literals if v and len(v) >= MIN_LITERAL}))
        self.rules: tuple[_Rule, ...] = (*_literal_rules(self.literals), *RULES)
        self._short = lru_cache(maxsize=SHORT_TEXTS)(self._redact_str)

    # detection
    def _matches(self, data: bytes, low: bytes) -> Iterable[tuple[int, int, int]]:
        for index, rule in enumerate(self.rules):
            for match in rule.regex.finditer(low if rule.lower else data):
                span = rule.pick(match) if rule.pick else _secret_span(match)
                if span is None or span[1] <= span[0]:
                    continue
                chunk = data[span[0] : span[1]]
                if _has_secret_text(chunk):
                    yield span[0], span[1], index

    def spans(self, data: bytes) -> list[tuple[int, int, str]]:
        """Merged secret spans ``(start, end, kind)`` in byte offsets, in order."""
        found = sorted(self._matches(data, data.lower()))
        merged: list[list[int]] = []
        for start, end, index in found:
            if merged and start <= merged[-1][1]:
                last = merged[-1]
                last[1], last[2] = max(last[1], end), min(last[2], index)
            else:
                merged.append([start, end, index])
        return [(s, e, self.rules[i].kind) for s, e, i in merged]

    def has_secret(self, text: str | bytes) -> bool:
        """True when any rule finds a secret (stops at the first one)."""
        data = _as_bytes(text)
        low = data.lower()
        return next(iter(self._matches(data, low)), None) is not None

    def kinds(self, text: str | bytes) -> list[str]:
        """The kinds of secret in ``text``, sorted (empty when it is clean)."""
        return sorted({kind for _, _, kind in self.spans(_as_bytes(text))})

    # replacement
    def redact_bytes(self, data: bytes, *, inside_key: bool = False) -> bytes:
        """``data`` with every secret replaced by the marker; the same object when clean.

        ``inside_key``: the text starts inside a private key's body (the kept tail of a log cut
        in the middle of one), so its key lines up to the END line are redacted too.
        """
        if inside_key:
            prefix = b"-----BEGIN PRIVATE KEY-----"
            redacted = self.redact_bytes(prefix + data)
            return data if redacted == prefix + data else redacted[len(prefix) :]
        spans = self.spans(data)
        if not spans:
            return data
        out, regions = _replace(data, spans)
        # A replacement can uncover a secret that text glued to another one hid: redact the
        # touched lines again until they are stable, so that redacting twice changes nothing.
        for _ in range(8):
            if not regions:
                break
            out, regions = self._settle(out, regions)
        return out

    def _settle(
        self, data: bytes, regions: list[tuple[int, int]]
    ) -> tuple[bytes, list[tuple[int, int]]]:
        """Redact again the lines around ``regions``; the regions to settle next."""
        pieces: list[bytes] = []
        replaced: list[tuple[int, int]] = []
        at = size = 0
        changed = False
        for start, end in _touched_lines(data, regions):
            segment = data[start:end]
            spans = self.spans(segment)
            pieces.append(data[at:start])
            size += start - at
            if spans:
                segment, inner = _replace(segment, spans)
                replaced += [(size + a, size + b) for a, b in inner]
                changed = True
            pieces.append(segment)
            size += len(segment)
            at = end
        if not changed:
            return data, []
        pieces.append(data[at:])
        return b"".join(pieces), replaced

    def redact_text(self, text: str) -> str:
        """``text`` with every secret replaced by the marker (the same object when clean).

        Short texts are memoised: test ids, job and step names and one-line messages recur by
        the thousand across a history's runs (a report ingestion redacted 900k strings, 1 in
        1,000 of them new), and matching every rule costs tens of microseconds a call."""
        if len(text) <= SHORT_TEXT:
            return self._short(text)
        return self._redact_str(text)

    def _redact_str(self, text: str) -> str:
        data = _as_bytes(text)
        redacted = self.redact_bytes(data)
        return text if redacted is data else redacted.decode("utf-8", "surrogatepass")


def _as_bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


def _replace(data: bytes, spans: list[tuple[int, int, str]]) -> tuple[bytes, list[tuple[int, int]]]:
    """``data`` with ``spans`` masked, and where those masks are in the result that touch
    word characters (``ghp_…npm_…`` glued together): only there can a mask uncover a secret."""
    out: list[bytes] = []
    regions: list[tuple[int, int]] = []
    at = size = 0
    for start, end, _kind in spans:
        masked = _mask(data[start:end])
        out += (data[at:start], masked)
        size += start - at
        if data[start - 1 : start] in _GLUE or data[end : end + 1] in _GLUE:
            regions.append((size, size + len(masked)))
        size += len(masked)
        at = end
    out.append(data[at:])
    return b"".join(out), regions


def _touched_lines(data: bytes, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Whole lines around ``regions``, merged when less than 4 KiB apart."""
    merged: list[list[int]] = []
    for start, end in regions:  # sorted; every byte is searched once at most (linear)
        if merged and end <= merged[-1][1]:
            continue
        floor = merged[-1][1] if merged else 0
        newline = data.rfind(b"\n", floor, start)
        first = newline + 1 if newline >= 0 else floor
        last = data.find(b"\n", end)
        last = len(data) if last < 0 else last
        if merged and first - merged[-1][1] < 4096:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(a, b) for a, b in merged]


def _has_secret_text(chunk: bytes) -> bool:
    """False for a span of only line breaks, blanks and timestamps (masking leaves it as is)."""
    if b"\n" not in chunk:
        return bool(chunk.strip(b" \t\r"))
    return _mask(chunk) != chunk


def _mask(secret: bytes) -> bytes:
    """The marker in place of each line's part of a secret; line breaks and timestamps kept."""
    if b"\n" not in secret:
        start = len(secret) - len(secret.lstrip(b" \t"))
        end = len(secret.rstrip(b" \t\r"))
        return secret[:start] + _MARK + secret[end:] if end > start else secret
    lines = secret.split(b"\n")
    out = [_mask(lines[0])]
    for line in lines[1:]:
        lead, core, trail = _LINE.fullmatch(line).groups()  # type: ignore[union-attr]
        out.append(lead + _MARK + trail if core else line)
    return b"\n".join(out)


# -- known secrets and the shared instances -------------------------------------------------
_remembered: set[str] = set()
_lock = threading.Lock()


def remember_secrets(*values: str | None) -> None:
    """Add literal secret values (a token from ``st.secrets``) for every later redaction."""
    with _lock:
        _remembered.update(v for v in values if v and len(v) >= MIN_LITERAL)


def secret_values(settings: Settings) -> list[str]:
    """The literal secrets of a configuration: its GitHub token plus the AWS keys in use."""
    values = [settings.github_token.reveal()]
    values += [os.environ.get(name, "") for name in SECRET_ENV_VARS]
    return [v for v in values if len(v) >= MIN_LITERAL]


def known_secrets() -> tuple[str, ...]:
    """Remembered values plus the secret environment variables' values (read at each call)."""
    env = (os.environ.get(name, "") for name in SECRET_ENV_VARS)
    with _lock:
        values = _remembered | {v.strip() for v in env if len(v.strip()) >= MIN_LITERAL}
    return tuple(sorted(values))


@lru_cache(maxsize=16)
def _cached(literals: tuple[str, ...]) -> Redactor:
    return Redactor(literals)


def redactor(literals: Iterable[str] | None = None) -> Redactor:
    """A shared redactor for ``literals`` plus the known secrets (:func:`known_secrets`)."""
    values = set(known_secrets())
    values.update(v for v in literals or () if v and len(v) >= MIN_LITERAL)
    return _cached(tuple(sorted(values)))


def redact_text(text: str, literals: Iterable[str] | None = None) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``; same lines, same line numbers."""
    return redactor(literals).redact_text(text)


def redact_bytes(data: bytes, literals: Iterable[str] | None = None) -> bytes:
    """:func:`redact_text` for raw bytes (any encoding; nothing is decoded)."""
    return redactor(literals).redact_bytes(data)


def secret_kinds(text: str | bytes, literals: Iterable[str] | None = None) -> list[str]:
    """The kinds of secret found in ``text`` (``[]`` when clean)."""
    return redactor(literals).kinds(text)


def redact_kept(kept: K, literals: Iterable[str] | None = None) -> K:
    """A kept log (``core.logs.normalise.KeptLog``: ``head`` and ``tail`` bytes) redacted.

    Call it before the log is stored or normalised: the line count, ``tail_first_line`` and
    ``original_bytes`` (the raw log's size) stay as they are. A tail that begins inside a
    private key (the log was cut in its middle) has the rest of that key redacted too.
    """
    engine = redactor(literals)
    head: bytes = kept.head  # type: ignore[attr-defined]
    tail: bytes = kept.tail  # type: ignore[attr-defined]
    new_head = engine.redact_bytes(head)
    new_tail = engine.redact_bytes(tail, inside_key=_starts_inside_key(tail)) if tail else tail
    if new_head is head and new_tail is tail:
        return kept
    return dataclasses.replace(kept, head=new_head, tail=new_tail)  # type: ignore[type-var]


def _starts_inside_key(tail: bytes) -> bool:
    end = tail.find(b"PRIVATE KEY-----")
    if end < 0:
        return False
    line_start = tail.rfind(b"\n", 0, end) + 1
    return b"-----END" in tail[line_start:end]  # a BEGIN first: the tail starts outside keys


def redact_value(value: Any, literals: Iterable[str] | None = None) -> Any:
    """A copy of a JSON-like value (str, dict, list) with every string redacted."""
    engine = redactor(literals)
    return _redact_value(value, engine)


def _redact_value(value: Any, engine: Redactor) -> Any:
    if isinstance(value, str):
        return engine.redact_text(value)
    if isinstance(value, Mapping):
        return {_redact_value(k, engine): _redact_value(v, engine) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(item, engine) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)  # what json.dumps(default=str) would write
    redacted = engine.redact_text(text)
    return value if redacted is text else redacted
