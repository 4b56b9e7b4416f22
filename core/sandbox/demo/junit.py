"""JUnit XML reports as each tool writes them: pytest ``--junitxml`` (xunit2, one line),
jest-junit, surefire reports merged by junit-report-merger, and go-junit-report.

The writers read the same :class:`~core.sandbox.demo.logs.builder.Outcome` as the console
renderers, so a
report and its job's log always agree on which tests failed.
"""

from __future__ import annotations

import time
from itertools import groupby
from xml.sax.saxutils import escape, quoteattr

from core.sandbox.demo.logs.builder import Outcome
from core.sandbox.demo.suites import TestCase, suite

__all__ = ["junit_xml"]


_QUOTED: dict[str, tuple[str, str]] = {}


def _q(test: TestCase) -> tuple[str, str]:
    """XML-quoted classname and name (cached: the same tests appear in every report)."""
    hit = _QUOTED.get(test.test_id)
    if hit is None:
        hit = _QUOTED[test.test_id] = (quoteattr(test.classname), quoteattr(test.name))
    return hit


def _ts(t: float, micro: bool = False) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t)))
    return f"{base}.{int((t % 1) * 1e6):06d}+00:00" if micro else base


def _ordered(o: Outcome, name: str) -> list[tuple[TestCase, str]]:
    """(test, status) in execution order; status is passed, failed or skipped."""
    ran = {t.test_id for t in o.tests}
    skipped = {t.test_id for t in o.skipped}
    out = []
    for test in suite(name):
        if test.test_id in o.failed:
            out.append((test, "failed"))
        elif test.test_id in ran:
            out.append((test, "passed"))
        elif test.test_id in skipped:
            out.append((test, "skipped"))
    return out


def _pytest(o: Outcome, name: str, started: float, host: str) -> str:
    c = o.counts
    total = c["passed"] + c["failed"] + c["skipped"]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{c["failed"]}" '
        f'skipped="{c["skipped"]}" tests="{total}" time="{sum(o.durations.values()):.3f}" '
        f'timestamp="{_ts(started, True)}" hostname="{host}">'
    ]
    for test, status in _ordered(o, name):
        qclass, qname = _q(test)
        head = (
            f"<testcase classname={qclass} name={qname} "
            f'time="{o.durations.get(test.test_id, 0.0):.3f}"'
        )
        if status == "passed":
            parts.append(head + " />")
        elif status == "skipped":
            why = test.skip or "requires the postgres service container"
            parts.append(
                f'{head}><skipped type="pytest.skip" message={quoteattr(why)}>'
                f"{escape(test.file)}:{test.line}: {escape(why)}</skipped></testcase>"
            )
        else:
            fail = o.failed[test.test_id]
            body = escape("\n".join(fail.body))
            parts.append(
                f"{head}><failure message={quoteattr(fail.message)}>{body}</failure></testcase>"
            )
    parts.append("</testsuite></testsuites>")
    return "".join(parts)


def _jest(o: Outcome, started: float) -> str:
    c = o.counts
    total = c["passed"] + c["failed"] + c["skipped"]
    secs = sum(o.durations.values())
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="jest tests" tests="{total}" failures="{c["failed"]}" '
        f'errors="0" time="{secs / 2 + 4:.3f}">',
    ]
    for path, group in groupby(_ordered(o, "web"), key=lambda p: p[0].group):
        items = list(group)
        fails = sum(1 for _, s in items if s == "failed")
        skips = sum(1 for _, s in items if s == "skipped")
        t = sum(o.durations.get(x.test_id, 0.0) for x, _ in items)
        lines.append(
            f'  <testsuite name={quoteattr(path)} errors="0" failures="{fails}" '
            f'skipped="{skips}" timestamp="{_ts(started)}" time="{t:.3f}" '
            f'tests="{len(items)}">'
        )
        for test, status in items:
            qclass, qname = _q(test)
            head = (
                f"    <testcase classname={qclass} name={qname} "
                f'time="{o.durations.get(test.test_id, 0.0):.3f}"'
            )
            if status == "passed":
                lines.append(head + ">\n    </testcase>")
            elif status == "skipped":
                lines.append(head + ">\n      <skipped/>\n    </testcase>")
            else:
                body = escape("\n".join(o.failed[test.test_id].body))
                lines.append(f"{head}>\n      <failure>{body}</failure>\n    </testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _surefire(o: Outcome) -> str:
    c = o.counts
    errs = sum(1 for f in o.failed.values() if f.error)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="shopfront-api" tests="{c["passed"] + c["failed"] + c["skipped"]}"'
        f' failures="{c["failed"] - errs}" errors="{errs}" skipped="{c["skipped"]}" '
        f'time="{sum(o.durations.values()):.3f}">',
    ]
    for klass, group in groupby(_ordered(o, "api"), key=lambda p: p[0].classname):
        items = list(group)
        f_n = sum(1 for x, s in items if s == "failed" and not o.failed[x.test_id].error)
        e_n = sum(1 for x, s in items if s == "failed" and o.failed[x.test_id].error)
        s_n = sum(1 for _, s in items if s == "skipped")
        t = sum(o.durations.get(x.test_id, 0.0) for x, _ in items)
        lines.append(
            f'  <testsuite name="{klass}" time="{t:.3f}" tests="{len(items)}" '
            f'errors="{e_n}" skipped="{s_n}" failures="{f_n}">'
        )
        for test, status in items:
            head = (
                f'    <testcase name="{test.name}" classname="{klass}" '
                f'time="{o.durations.get(test.test_id, 0.0):.3f}"'
            )
            if status == "passed":
                lines.append(head + "/>")
            elif status == "skipped":
                lines.append(head + ">\n      <skipped/>\n    </testcase>")
            else:
                fail = o.failed[test.test_id]
                tag = "error" if fail.error else "failure"
                body = "\n".join(fail.body)
                lines.append(
                    f"{head}>\n      <{tag} message={quoteattr(fail.message)} "
                    f'type="{fail.kind}"><![CDATA[{body}]]></{tag}>\n    </testcase>'
                )
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _go(o: Outcome, started: float, host: str, goos: str) -> str:
    c = o.counts
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites tests="{c["passed"] + c["failed"]}" failures="{c["failed"]}">',
    ]
    for idx, (pkg, group) in enumerate(groupby(_ordered(o, "cli"), key=lambda p: p[0].group)):
        items = list(group)
        fails = sum(1 for _, s in items if s == "failed")
        t = sum(o.durations.get(x.test_id, 0.0) for x, _ in items)
        lines += [
            f'\t<testsuite name="{pkg}" tests="{len(items)}" failures="{fails}" '
            f'errors="0" id="{idx}" hostname="{host}" time="{t:.3f}" '
            f'timestamp="{_ts(started)}Z">',
            "\t\t<properties>",
            f'\t\t\t<property name="go.version" value="go1.23.4 {goos}"></property>',
            "\t\t</properties>",
        ]
        for test, status in items:
            head = (
                f'\t\t<testcase name="{test.name}" classname="{pkg}" '
                f'time="{o.durations.get(test.test_id, 0.0):.3f}">'
            )
            if status == "failed":
                body = "\n".join(o.failed[test.test_id].body)
                lines.append(
                    f'{head}\n\t\t\t<failure message="Failed"><![CDATA[{body}]]>'
                    "</failure>\n\t\t</testcase>"
                )
            else:
                lines.append(head + "</testcase>")
        lines.append("\t</testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def junit_xml(
    o: Outcome,
    toolchain: str,
    suite_name: str,
    started: float,
    host: str,
    goos: str = "linux/amd64",
) -> bytes:
    """The report file a test job uploads, as bytes."""
    if toolchain in ("pytest", "e2e"):
        text = _pytest(o, suite_name, started, host)
    elif toolchain == "jest":
        text = _jest(o, started)
    elif toolchain == "maven":
        text = _surefire(o)
    else:
        text = _go(o, started, host, goos)
    return text.encode("utf-8")
