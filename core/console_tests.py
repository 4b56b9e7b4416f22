"""Per-test outcomes from console output: pytest, jest, Maven surefire and ``go test``.

Pure: the texts of a normalised log in (``NormalisedLog.texts``: no timestamps, no ANSI codes),
:class:`TestResult` lists and a :class:`ConsoleSummary` out. This module is the public entry
point; each runner's parser lives in its own module (``core.console_pytest``,
``core.console_jest``, ``core.console_surefire``, ``core.console_go``) and the records with the
helpers they share in ``core.console_records``. The records live there rather than in
``core.test_reports`` (which re-exports them) because ``core.test_reports`` imports these parsers
to dispatch to them: the records must sit below both to avoid an import cycle. The test id each
runner gets is documented in ``core.test_reports``.
"""

from __future__ import annotations

from core.console_go import parse_go_test
from core.console_jest import parse_jest
from core.console_pytest import parse_pytest
from core.console_records import (
    OUTCOMES,
    ConsoleSummary,
    TestResult,
    clip_message,
    parse_seconds,
)
from core.console_surefire import parse_maven_surefire

__all__ = [
    "OUTCOMES",
    "TestResult",
    "ConsoleSummary",
    "clip_message",
    "parse_seconds",
    "parse_pytest",
    "parse_jest",
    "parse_maven_surefire",
    "parse_go_test",
]
