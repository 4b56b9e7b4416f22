"""Specification of core.logs.reports.junit: JUnit XML and console parsers, on realistic output.

Every fixture below was written for this test in each tool's real format; none is copied.
"""

# Real runner output has long lines; the fixtures keep them as the tools print them.
# ruff: noqa: E501

from __future__ import annotations

import tracemalloc

import pytest

from core.errors import UnsafeInput
from core.logs.reports.junit import (
    OUTCOMES,
    ConsoleSummary,
    MalformedReport,
    TestResult,
    detect_framework,
    junit_id_for,
    parse_console,
    parse_go_test,
    parse_jest,
    parse_junit_xml,
    parse_maven_surefire,
    parse_pytest,
)


def lines(text: str) -> list[str]:
    """Console output as the texts of a normalised log: split on newlines only."""
    return text.split("\n")


PYTEST = lines("""============================= test session starts ==============================
platform linux -- Python 3.11.7, pytest-8.1.1, pluggy-1.4.0
rootdir: /home/runner/work/shop/shop
collected 7 items

tests/test_cart.py::test_total PASSED                                    [ 14%]
tests/test_cart.py::TestCart::test_add[1-2] FAILED                       [ 28%]
tests/test_cart.py::test_ids[a::b-c d] PASSED                            [ 42%]
tests/test_cart.py::test_skip SKIPPED (needs a database)                 [ 57%]
tests/test_cart.py::test_xf XFAIL (known bug)                            [ 71%]
tests/test_cart.py::test_fix ERROR                                       [ 85%]
tests/test_api.py::test_get[https://x/?q=1] FAILED                       [100%]

==================================== ERRORS ====================================
__________________________ ERROR at setup of test_fix __________________________
file /home/runner/work/shop/shop/tests/test_cart.py, line 40
  def test_fix(db):
E       fixture 'db' not found
=================================== FAILURES ===================================
___________________________ TestCart.test_add[1-2] ____________________________

self = <tests.test_cart.TestCart object at 0x7f2b1c3d4e50>, a = 1, b = 2

    @pytest.mark.parametrize("a,b", [(1, 2)])
    def test_add(self, a, b):
>       assert a + b == 4
E       assert (1 + 2) == 4

tests/test_cart.py:12: AssertionError
_______________________ test_get[https://x/?q=1] _______________________

    def test_get(url):
>       raise ConnectionError("refused")
E       ConnectionError: refused

tests/test_api.py:8: ConnectionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::TestCart::test_add[1-2] - assert (1 + 2) == 4
ERROR tests/test_cart.py::test_fix
ERROR tests/test_broken.py - ModuleNotFoundError: No module named 'foo'
FAILED tests/test_api.py::test_get[https://x/?q=1]
=== 2 failed, 2 passed, 1 skipped, 1 xfailed, 2 errors in 41.23s (0:00:41) ===""")

PYTEST_XDIST = lines("""[gw0] [ 50%] PASSED tests/test_a.py::test_one
[gw1] [100%] FAILED tests/test_b.py::TestB::test_two[x-1]
FAILED tests/test_b.py::TestB::test_two[x-1] - KeyError: 'x'
========================= 1 failed, 1 passed in 3.01s ==========================""")

JEST = lines("""
> shop@1.0.0 test
> jest --ci --verbose

 PASS  src/utils/math.test.js
  math
    ✓ adds numbers (2 ms)
    ✓ subtracts numbers (1 ms)
 FAIL  src/cart/cart.test.js (5.123 s)
  Cart
    ✓ adds items (3 ms)
    ✕ computes total (12 ms)
    ○ skipped applies coupon
    ✎ todo handles refunds
    with discounts
      ✕ applies 10% off <script> (4 ms)
  ✓ top level works (1 ms)

  ● Cart › computes total

    expect(received).toBe(expected) // Object.is equality

    Expected: 30
    Received: 25

      13 |   it('computes total', () => {
      14 |     const cart = new Cart();
    > 15 |     expect(cart.total()).toBe(30);
         |                          ^
      16 |   });

      at Object.toBe (src/cart/cart.test.js:15:26)

  ● Cart › with discounts › applies 10% off <script>

    TypeError: Cannot read properties of undefined (reading 'rate')

      at Cart.discount (src/cart/cart.js:42:18)

 FAIL  src/api/client.test.ts
  ● Test suite failed to run

    Cannot find module 'node-fetch' from 'src/api/client.ts'

Test Suites: 2 failed, 1 passed, 3 total
Tests:       2 failed, 1 skipped, 1 todo, 4 passed, 8 total
Snapshots:   0 total
Time:        6.789 s
Ran all test suites.
""")
SUREFIRE = lines("""[INFO] --- maven-surefire-plugin:3.0.0:test (default-test) @ shop-core ---
[INFO] Using auto detected provider org.apache.maven.surefire.junitplatform.JUnitPlatformProvider
[INFO]
[INFO] -------------------------------------------------------
[INFO]  T E S T S
[INFO] -------------------------------------------------------
[INFO] Running com.acme.shop.CartTest
[ERROR] Tests run: 4, Failures: 1, Errors: 1, Skipped: 1, Time elapsed: 0.153 s <<< FAILURE! - in com.acme.shop.CartTest
[ERROR] com.acme.shop.CartTest.testTotal  Time elapsed: 0.012 s  <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <30> but was: <25>
	at org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:55)
	at com.acme.shop.CartTest.testTotal(CartTest.java:25)

[ERROR] com.acme.shop.CartTest.testDatabase  Time elapsed: 0.002 s  <<< ERROR!
java.lang.IllegalStateException: no database
	at com.acme.shop.CartTest.testDatabase(CartTest.java:31)

[INFO] Running com.acme.shop.net.ClientTest
[WARNING] Tests run: 3, Failures: 0, Errors: 0, Skipped: 0, Flakes: 1, Time elapsed: 1.02 s - in com.acme.shop.net.ClientTest
[INFO] Running com.acme.shop.PriceTest
[INFO] Tests run: 5, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.05 s - in com.acme.shop.PriceTest
[INFO]
[INFO] Results:
[INFO]
[ERROR] Failures:
[ERROR]   CartTest.testTotal:25 expected: <30> but was: <25>
[ERROR] Errors:
[ERROR]   CartTest.testDatabase:31 » IllegalState no database
[WARNING] Flakes:
[WARNING] ClientTest.testRetry
[ERROR]   Run 1: ClientTest.testRetry:40 » Socket Read timed out
[INFO]   Run 2: PASS
[INFO]
[ERROR] Tests run: 12, Failures: 1, Errors: 1, Skipped: 1, Flakes: 1
[INFO]
[INFO] ------------------------------------------------------------------------
[INFO] BUILD FAILURE
[INFO] ------------------------------------------------------------------------""")

SUREFIRE_2 = lines("""-------------------------------------------------------
 T E S T S
-------------------------------------------------------
Running org.example.LegacyTest
Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.02 sec <<< FAILURE! - in org.example.LegacyTest
testParse(org.example.LegacyTest)  Time elapsed: 0.01 sec  <<< FAILURE!
java.lang.AssertionError: expected:<1> but was:<2>
	at org.junit.Assert.fail(Assert.java:88)

Results :

Failed tests:
  LegacyTest.testParse:14 expected:<1> but was:<2>

Tests run: 2, Failures: 1, Errors: 0, Skipped: 0
""")

GO = lines("""=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   TestSub
=== RUN   TestSub/negative
    calc_test.go:20: expected -1, got 1
=== RUN   TestSub/zero
--- FAIL: TestSub (0.00s)
    --- FAIL: TestSub/negative (0.00s)
    --- PASS: TestSub/zero (0.00s)
=== RUN   TestNetwork
    net_test.go:10: skipping in short mode
--- SKIP: TestNetwork (0.00s)
FAIL
FAIL	example.com/shop/calc	0.012s
=== RUN   TestParse
--- PASS: TestParse (0.01s)
PASS
ok  	example.com/shop/parse	0.020s
=== RUN   TestCrash
--- FAIL: TestCrash (0.00s)
panic: runtime error: index out of range [3] with length 3 [recovered]
	panic: runtime error: index out of range [3] with length 3

goroutine 7 [running]:
testing.tRunner.func1.2({0x5f4e60, 0xc000016108})
	/usr/local/go/src/testing/testing.go:1545 +0x238
FAIL	example.com/shop/crash	0.004s
=== RUN   TestSlow
panic: test timed out after 10m0s
running tests:
	TestSlow (10m0s)

goroutine 17 [running]:
testing.(*M).startAlarm.func1()
FAIL	example.com/shop/slow	600.014s
?   	example.com/shop/cmd	[no test files]
FAIL	example.com/shop/broken [build failed]
FAIL""")

GO_JSON = [
    '{"Time":"2024-05-01T12:00:00Z","Action":"start","Package":"example.com/shop/calc"}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"run","Package":"example.com/shop/calc","Test":"TestAdd"}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"output","Package":"example.com/shop/calc","Test":"TestAdd","Output":"=== RUN   TestAdd\\n"}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"pass","Package":"example.com/shop/calc","Test":"TestAdd","Elapsed":0.01}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"run","Package":"example.com/shop/calc","Test":"TestSub"}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"output","Package":"example.com/shop/calc","Test":"TestSub","Output":"    calc_test.go:20: expected -1, got 1\\n"}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"fail","Package":"example.com/shop/calc","Test":"TestSub","Elapsed":0}',
    '{"Time":"2024-05-01T12:00:00Z","Action":"fail","Package":"example.com/shop/calc","Elapsed":0.02}',
]

JUNIT_PYTEST = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="1.2">
<testcase classname="tests.test_cart" name="test_total" file="tests/test_cart.py" time="0.001"/>
<testcase classname="tests.test_cart.TestCart" name="test_add[1-2]" time="0.002">
<failure message="assert (1 + 2) == 4">self = &lt;TestCart&gt;
E       assert (1 + 2) == 4</failure></testcase>
<testcase classname="tests.test_cart" name="test_skip" time="0.000">
<skipped type="pytest.skip" message="needs a database">tests/test_cart.py:30: needs a database</skipped>
</testcase>
<testcase classname="tests.test_cart" name="test_fix" time="0.000">
<error message="failed on setup with &quot;fixture 'db' not found&quot;">fixture 'db' not found</error>
<system-out>connecting...</system-out></testcase>
</testsuite></testsuites>"""

JUNIT_JEST = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="2" failures="1" errors="0" time="1.5">
  <testsuite name="Cart" errors="0" failures="1" skipped="0" timestamp="2024-05-01T12:00:00"
      time="1.2" tests="2">
    <testcase classname="Cart adds items" name="Cart adds items" time="0.003"/>
    <testcase classname="Cart computes total" name="Cart computes total" time="0.012">
      <failure>Error: expect(received).toBe(expected)
    at Object.toBe (src/cart/cart.test.js:15:26)</failure>
    </testcase>
  </testsuite>
</testsuites>"""

JUNIT_SUREFIRE = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.acme.shop.CartTest"
    time="0.153" tests="4" errors="1" skipped="1" failures="1">
  <properties><property name="java.version" value="17.0.8"/></properties>
  <testcase name="testAdd" classname="com.acme.shop.CartTest" time="0.001"/>
  <testcase name="testTotal" classname="com.acme.shop.CartTest" time="0.012">
    <failure message="expected: &lt;30&gt; but was: &lt;25&gt;"
        type="org.opentest4j.AssertionFailedError">org.opentest4j.AssertionFailedError
	at com.acme.shop.CartTest.testTotal(CartTest.java:25)</failure>
    <system-out><![CDATA[total=25]]></system-out>
  </testcase>
  <testcase name="testDatabase" classname="com.acme.shop.CartTest" time="0.002">
    <error message="no database" type="java.lang.IllegalStateException">...</error>
  </testcase>
  <testcase name="testCoupon" classname="com.acme.shop.CartTest" time="0">
    <skipped message="@Disabled until the coupon service exists"/>
  </testcase>
  <testcase name="testRetry" classname="com.acme.shop.CartTest" time="1,020.5">
    <flakyFailure message="Read timed out" type="java.net.SocketTimeoutException"/>
  </testcase>
</testsuite>"""

JUNIT_GO_NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1">
  <testsuite name="example.com/shop" tests="0">
    <testsuite name="example.com/shop/calc" tests="3" failures="1" time="0.012">
      <properties><property name="go.version" value="go1.22.2"/></properties>
      <testcase name="TestAdd" time="0.000"/>
      <testcase classname="example.com/shop/calc" name="TestSub/negative" time="0.000">
        <failure message="Failed" type="">calc_test.go:20: expected -1, got 1</failure>
      </testcase>
      <testcase classname="example.com/shop/calc" name="TestNetwork" time="0.000">
        <skipped message="net_test.go:10: skipping in short mode"/>
      </testcase>
    </testsuite>
  </testsuite>
</testsuites>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite name="bomb"><testcase classname="x" name="&lol9;"/></testsuite>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuite name="xxe"><testcase classname="x" name="&secret;"/></testsuite>"""


def by_id(results: list[TestResult]) -> dict[str, TestResult]:
    return {result.test_id: result for result in results}


# --------------------------------------------------------------------------- JUnit XML


def test_given_pytest_junit_when_parsed_then_ids_outcomes_and_messages_follow_the_xml():
    results = by_id(parse_junit_xml(JUNIT_PYTEST))

    assert list(results) == [
        "tests.test_cart::test_total",
        "tests.test_cart.TestCart::test_add[1-2]",
        "tests.test_cart::test_skip",
        "tests.test_cart::test_fix",
    ]
    assert results["tests.test_cart::test_total"].outcome == "passed"
    assert results["tests.test_cart::test_total"].file == "tests/test_cart.py"
    failed = results["tests.test_cart.TestCart::test_add[1-2]"]
    assert failed.outcome == "failed" and failed.duration_s == pytest.approx(0.002)
    assert failed.message.startswith("assert (1 + 2) == 4")
    assert results["tests.test_cart::test_skip"].outcome == "skipped"
    assert results["tests.test_cart::test_fix"].outcome == "error"
    assert "fixture 'db' not found" in results["tests.test_cart::test_fix"].message


def test_given_jest_junit_when_parsed_then_classname_is_the_jest_title():
    results = parse_junit_xml(JUNIT_JEST)

    assert [r.outcome for r in results] == ["passed", "failed"]
    assert results[1].test_id == "Cart computes total::Cart computes total"
    assert "expect(received)" in results[1].message


def test_given_surefire_junit_when_parsed_then_error_skip_and_flaky_pass_are_told_apart():
    results = by_id(parse_junit_xml(JUNIT_SUREFIRE))

    assert results["com.acme.shop.CartTest::testAdd"].outcome == "passed"
    assert results["com.acme.shop.CartTest::testTotal"].outcome == "failed"
    assert "expected: <30> but was: <25>" in results["com.acme.shop.CartTest::testTotal"].message
    assert results["com.acme.shop.CartTest::testDatabase"].outcome == "error"
    assert results["com.acme.shop.CartTest::testCoupon"].outcome == "skipped"
    retry = results["com.acme.shop.CartTest::testRetry"]
    assert retry.outcome == "passed" and retry.duration_s == pytest.approx(1020.5)


def test_given_nested_testsuites_when_a_testcase_has_no_classname_then_the_suite_name_is_used():
    results = by_id(parse_junit_xml(JUNIT_GO_NESTED))

    assert set(results) == {
        "example.com/shop/calc::TestAdd",
        "example.com/shop/calc::TestSub/negative",
        "example.com/shop/calc::TestNetwork",
    }
    assert results["example.com/shop/calc::TestSub/negative"].message.endswith("got 1")


def test_given_a_billion_laughs_report_when_parsed_then_it_is_refused_without_expanding():
    tracemalloc.start()

    with pytest.raises(UnsafeInput, match="DTD or entities"):
        parse_junit_xml(BILLION_LAUGHS)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * 1024 * 1024  # no entity was expanded


def test_given_an_external_entity_when_parsed_then_no_file_is_read_and_it_is_refused():
    with pytest.raises(UnsafeInput):
        parse_junit_xml(XXE)


def test_given_a_truncated_report_when_parsed_then_malformed_report_keeps_the_tests_before():
    cut = JUNIT_SUREFIRE[: JUNIT_SUREFIRE.index(b'<testcase name="testCoupon"')]

    with pytest.raises(MalformedReport) as caught:
        parse_junit_xml(cut)

    assert [r.name for r in caught.value.partial] == ["testAdd", "testTotal", "testDatabase"]


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"<testsuite><testcase"])
def test_given_bytes_that_are_not_xml_when_parsed_then_malformed_report_says_so(data):
    with pytest.raises(MalformedReport, match="not well-formed XML"):
        parse_junit_xml(data)


def test_given_xml_without_testcases_when_parsed_then_no_results():
    assert parse_junit_xml(b"<coverage line-rate='0.9'><packages/></coverage>") == []


def test_given_a_report_over_the_size_limit_when_parsed_then_it_is_refused():
    with pytest.raises(UnsafeInput, match="more than"):
        parse_junit_xml(JUNIT_PYTEST, max_bytes=100)


def test_given_a_report_with_100k_testcases_when_parsed_then_every_case_is_read():
    cases = b"".join(
        b'<testcase classname="pkg.C%d" name="test_%d" time="0.001"/>' % (i % 50, i)
        for i in range(100_000)
    )
    data = b"<testsuites><testsuite name='big'>" + cases + b"</testsuite></testsuites>"

    results = parse_junit_xml(data)

    assert len(results) == 100_000 and results[-1].test_id == "pkg.C49::test_99999"


def test_given_xml_text_in_a_message_when_parsed_then_script_tags_stay_plain_text():
    data = (
        b"<testsuite name='s'><testcase classname='c' name='t'>"
        b"<failure message='&lt;script&gt;alert(1)&lt;/script&gt;'/></testcase></testsuite>"
    )

    assert parse_junit_xml(data)[0].message == "<script>alert(1)</script>"


def test_given_junit_ids_when_mapped_then_they_equal_the_console_ids():
    assert junit_id_for("pytest", "tests.test_cart", "test_total") == (
        "tests/test_cart.py::test_total"
    )
    assert junit_id_for("pytest", "tests.test_cart.TestCart", "test_add[1-2]") == (
        "tests/test_cart.py::TestCart::test_add[1-2]"
    )
    assert (
        junit_id_for("pytest", "tests.test_cart.TestCart", "test_add", file="tests/test_cart.py")
        == "tests/test_cart.py::TestCart::test_add"
    )
    assert junit_id_for("surefire", "com.acme.shop.CartTest", "testTotal") == (
        "com.acme.shop.CartTest::testTotal"
    )
    assert junit_id_for("go", "example.com/shop/calc", "TestSub/negative") == (
        "example.com/shop/calc::TestSub/negative"
    )
    assert junit_id_for("jest", "Cart", "Cart › computes total", file="src/cart.test.js") == (
        "src/cart.test.js::Cart › computes total"
    )


def test_given_pytest_console_and_junit_when_ids_are_mapped_then_both_sources_join():
    console = {r.test_id for r in parse_pytest(PYTEST)[0]}
    junit = {
        junit_id_for("pytest", r.classname, r.name, r.file) for r in parse_junit_xml(JUNIT_PYTEST)
    }

    assert junit <= console


# --------------------------------------------------------------------------- pytest


def test_given_pytest_verbose_output_when_parsed_then_every_node_id_has_its_final_outcome():
    results, summary = parse_pytest(PYTEST)
    found = by_id(results)

    assert found["tests/test_cart.py::test_total"].outcome == "passed"
    assert found["tests/test_cart.py::TestCart::test_add[1-2]"].outcome == "failed"
    assert found["tests/test_cart.py::test_ids[a::b-c d]"].outcome == "passed"
    assert found["tests/test_cart.py::test_skip"].outcome == "skipped"
    assert found["tests/test_cart.py::test_xf"].outcome == "skipped"
    assert found["tests/test_cart.py::test_fix"].outcome == "error"
    assert found["tests/test_broken.py"].outcome == "error"
    assert summary == ConsoleSummary(passed=2, failed=2, skipped=2, errors=2, framework="pytest")


def test_given_pytest_failures_when_parsed_then_messages_come_from_summary_or_e_lines():
    found = by_id(parse_pytest(PYTEST)[0])

    assert found["tests/test_cart.py::TestCart::test_add[1-2]"].message == "assert (1 + 2) == 4"
    assert found["tests/test_api.py::test_get[https://x/?q=1]"].message == (
        "ConnectionError: refused"
    )
    assert found["tests/test_cart.py::test_fix"].message == "fixture 'db' not found"
    assert "No module named 'foo'" in found["tests/test_broken.py"].message


def test_given_a_parametrised_node_id_when_parsed_then_name_and_classname_match_pytest_junit():
    found = by_id(parse_pytest(PYTEST)[0])
    result = found["tests/test_cart.py::TestCart::test_add[1-2]"]

    assert (result.name, result.classname, result.file) == (
        "test_add[1-2]",
        "tests.test_cart.TestCart",
        "tests/test_cart.py",
    )


def test_given_xdist_output_when_parsed_then_worker_lines_are_read():
    results, summary = parse_pytest(PYTEST_XDIST)

    assert {r.test_id: r.outcome for r in results} == {
        "tests/test_a.py::test_one": "passed",
        "tests/test_b.py::TestB::test_two[x-1]": "failed",
    }
    assert by_id(results)["tests/test_b.py::TestB::test_two[x-1]"].message == "KeyError: 'x'"
    assert summary == ConsoleSummary(1, 1, 0, 0, "pytest")


# --------------------------------------------------------------------------- jest


def test_given_jest_verbose_output_when_parsed_then_describe_nesting_builds_the_id():
    found = by_id(parse_jest(JEST)[0])

    assert found["src/utils/math.test.js::math › adds numbers"].outcome == "passed"
    assert found["src/cart/cart.test.js::Cart › computes total"].outcome == "failed"
    nested = found["src/cart/cart.test.js::Cart › with discounts › applies 10% off <script>"]
    assert nested.outcome == "failed" and nested.duration_s == pytest.approx(0.004)
    assert found["src/cart/cart.test.js::top level works"].outcome == "passed"
    assert found["src/cart/cart.test.js::Cart › applies coupon"].outcome == "skipped"
    assert found["src/cart/cart.test.js::Cart › handles refunds"].outcome == "skipped"


def test_given_jest_failure_blocks_when_parsed_then_the_message_stops_before_the_code_frame():
    found = by_id(parse_jest(JEST)[0])

    message = found["src/cart/cart.test.js::Cart › computes total"].message
    assert message.startswith("expect(received).toBe(expected)")
    assert "Received: 25" in message and "|" not in message


def test_given_a_jest_suite_that_failed_to_run_when_parsed_then_it_is_an_error():
    results, summary = parse_jest(JEST)
    found = by_id(results)

    assert found["src/api/client.test.ts::Test suite failed to run"].outcome == "error"
    assert summary == ConsoleSummary(passed=4, failed=2, skipped=2, errors=1, framework="jest")


def test_given_non_verbose_jest_when_parsed_then_failures_still_come_from_blocks():
    quiet = [
        " FAIL  src/a.test.js",
        "  ● A › b",
        "",
        "    Error: boom",
        "",
        "Tests:       1 failed, 3 passed, 4 total",
    ]

    results, summary = parse_jest(quiet)

    assert [(r.test_id, r.outcome, r.message) for r in results] == [
        ("src/a.test.js::A › b", "failed", "Error: boom")
    ]
    assert summary == ConsoleSummary(3, 1, 0, 0, "jest")


# --------------------------------------------------------------------------- surefire


def test_given_surefire_3_output_when_parsed_then_failures_errors_and_flakes_have_fqn_ids():
    results, summary = parse_maven_surefire(SUREFIRE)
    found = by_id(results)

    assert found["com.acme.shop.CartTest::testTotal"].outcome == "failed"
    assert found["com.acme.shop.CartTest::testTotal"].duration_s == pytest.approx(0.012)
    assert found["com.acme.shop.CartTest::testDatabase"].outcome == "error"
    assert "no database" in found["com.acme.shop.CartTest::testDatabase"].message
    flaky = found["com.acme.shop.net.ClientTest::testRetry"]
    assert flaky.outcome == "passed" and flaky.message.startswith("flaky:")
    assert summary == ConsoleSummary(passed=9, failed=1, skipped=1, errors=1, framework="surefire")


def test_given_surefire_2_output_when_parsed_then_method_class_lines_are_read():
    results, summary = parse_maven_surefire(SUREFIRE_2)

    assert [(r.test_id, r.outcome) for r in results] == [
        ("org.example.LegacyTest::testParse", "failed")
    ]
    assert summary == ConsoleSummary(1, 1, 0, 0, "surefire")


def test_given_two_maven_modules_when_parsed_then_totals_are_summed():
    two = SUREFIRE_2 + SUREFIRE_2

    assert parse_maven_surefire(two)[1] == ConsoleSummary(2, 2, 0, 0, "surefire")


# --------------------------------------------------------------------------- go


def test_given_go_verbose_output_when_parsed_then_subtests_and_packages_make_the_ids():
    found = by_id(parse_go_test(GO)[0])

    assert found["example.com/shop/calc::TestAdd"].outcome == "passed"
    assert found["example.com/shop/calc::TestSub"].outcome == "failed"
    negative = found["example.com/shop/calc::TestSub/negative"]
    assert negative.outcome == "failed" and negative.message == (
        "calc_test.go:20: expected -1, got 1"
    )
    assert found["example.com/shop/calc::TestSub/zero"].outcome == "passed"
    assert found["example.com/shop/calc::TestNetwork"].outcome == "skipped"
    assert found["example.com/shop/parse::TestParse"].duration_s == pytest.approx(0.01)


def test_given_a_go_panic_when_parsed_then_the_failing_test_carries_the_panic():
    found = by_id(parse_go_test(GO)[0])

    assert found["example.com/shop/crash::TestCrash"].outcome == "failed"
    assert found["example.com/shop/crash::TestCrash"].message.startswith("panic: runtime error")


def test_given_a_go_timeout_when_parsed_then_the_running_test_failed_with_the_timeout():
    results, summary = parse_go_test(GO)
    slow = by_id(results)["example.com/shop/slow::TestSlow"]

    assert slow.outcome == "failed" and slow.message == "panic: test timed out after 10m0s"
    assert summary == ConsoleSummary(passed=3, failed=4, skipped=1, errors=1, framework="go")


def test_given_go_test_json_when_parsed_then_events_give_the_same_results():
    results, summary = parse_go_test(GO_JSON)

    assert {r.test_id: r.outcome for r in results} == {
        "example.com/shop/calc::TestAdd": "passed",
        "example.com/shop/calc::TestSub": "failed",
    }
    assert by_id(results)["example.com/shop/calc::TestSub"].message.endswith("got 1")
    assert summary == ConsoleSummary(1, 1, 0, 0, "go")


def test_given_gotestsum_done_line_when_parsed_then_it_gives_the_totals():
    lines = [
        "--- FAIL: TestA (0.00s)",
        "FAIL\texample.com/a\t0.01s",
        "",
        "DONE 12 tests, 1 skipped, 2 failures in 1.234s",
    ]

    assert parse_go_test(lines)[1] == ConsoleSummary(9, 2, 1, 0, "go")


# --------------------------------------------------------------------------- dispatch


@pytest.mark.parametrize(
    ("lines", "framework"),
    [
        (PYTEST, "pytest"),
        (PYTEST_XDIST, "pytest"),
        (JEST, "jest"),
        (SUREFIRE, "surefire"),
        (SUREFIRE_2, "surefire"),
        (GO, "go"),
        (GO_JSON, "go"),
    ],
)
def test_given_runner_output_when_detected_then_the_framework_is_named(lines, framework):
    assert detect_framework(lines) == framework
    results, summary = parse_console(lines)
    assert results and all(r.outcome in OUTCOMES for r in results)
    assert summary is not None and summary.framework == framework


def test_given_plain_build_output_when_detected_then_no_framework_and_nothing_parsed():
    lines = ["$ make", "cc -o app main.c", "main.c:3: error: expected ';'", "make: *** [all]"]

    assert detect_framework(lines) is None
    assert parse_console(lines) == ([], None)


def test_given_console_results_when_printed_then_script_tags_are_kept_as_plain_text():
    found = by_id(parse_jest(JEST)[0])

    assert any("<script>" in test_id for test_id in found)
