"""Per-test outcomes from console output: pytest, jest, Maven surefire and ``go test``.

Pure: the texts of a normalised log in (``NormalisedLog.texts``: no timestamps, no ANSI codes),
:class:`TestResult` lists and a :class:`ConsoleSummary` out. This module is the public entry
point; each runner's parser lives in its own module (``core.logs.reports.pytest_console``,
``core.logs.reports.jest_console``, ``core.logs.reports.surefire_console``,
``core.logs.reports.go_console``) and the records with the
helpers they share in ``core.logs.reports.records``. The records live there rather than in
``core.logs.reports.junit`` (which re-exports them) because ``core.logs.reports.junit`` imports
these parsers
to dispatch to them: the records must sit below both to avoid an import cycle. The test id each
runner gets is documented in ``core.logs.reports.junit``.
"""

from __future__ import annotations

from core.logs.reports.go_console import parse_go_test
from core.logs.reports.jest_console import parse_jest
from core.logs.reports.pytest_console import parse_pytest
from core.logs.reports.records import (
    OUTCOMES,
    ConsoleSummary,
    TestResult,
    clip_message,
    parse_seconds,
)
from core.logs.reports.surefire_console import parse_maven_surefire

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
