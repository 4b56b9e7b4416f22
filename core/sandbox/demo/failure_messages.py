"""How one failing test reads in its tool's console and JUnit report.

Each test has a fixed failure template (its ``mode``) and template values derived from its id,
so a test broken by a regression fails with the same message on every run, like a real one.
``cause`` indexes the body lines that carry the error (the labelled failure lines).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from core.sandbox.demo.suites import TestCase

__all__ = ["TestFailure", "failure_for", "TIMING_MODES"]

# Template indices whose text reads like a timing/network problem (used for flaky tests).
TIMING_MODES = {"backend": 9, "e2e": 11, "web": 6, "api": 5, "cli": 4}


@dataclass(frozen=True)
class TestFailure:
    """The failure of one test: message, exception type, console body and cause lines."""

    message: str
    kind: str
    body: tuple[str, ...]
    cause: tuple[int, ...]
    error: bool = False


def _vals(test: TestCase) -> random.Random:
    return random.Random(f"{test.test_id}#{test.mode}")


def _snake_subject(test: TestCase) -> str:
    base = test.name.split("[")[0].removeprefix("test_")
    return base.split("_with")[0].split("_when")[0] or "result"


def _py_frame(test: TestCase, stmt: str, setup: str) -> list[str]:
    """pytest shows the test's source dedented to one level, ``>`` on the failing line."""
    in_class = test.classname.rsplit(".", 1)[-1].startswith("Test")
    args = "page, live_server" if test.suite == "e2e" else "client, db_session"
    args = f"self, {args}" if in_class else args
    func = test.name.split("[")[0]
    prefix = "async def" if "await" in stmt + setup else "def"
    return [f"    {prefix} {func}({args}):", f"        {setup}", f">       {stmt}"]


_PyCase = tuple[str, str, list[str], str, str]  # setup, failing statement, E lines, type, msg


def _py_decimal(subj: str, n: int, r: random.Random) -> _PyCase:
    a = f"{r.randint(10, 400)}.{r.randint(0, 99):02d}"
    b = f"{a[:-1]}{(int(a[-1]) + 1) % 10}"
    msg = f"AssertionError: assert Decimal('{b}') == Decimal('{a}')"
    return (
        f"result = build_{subj}(qty={n})",
        f'assert result.total == Decimal("{a}")',
        [
            f"E       {msg}",
            f"E        +  where Decimal('{b}') = "
            f"<{subj.title().replace('_', '')} id={r.randint(1, 90)}>.total",
        ],
        "AssertionError",
        msg,
    )


def _py_len(subj: str, n: int, r: random.Random) -> _PyCase:
    return (
        f"items = list_{subj}(limit={n})",
        f"assert len(items) == {n}",
        [f"E       assert {n - 1} == {n}", f"E        +  where {n - 1} = len([...])"],
        "AssertionError",
        f"assert {n - 1} == {n}",
    )


def _py_key(subj: str, n: int, r: random.Random) -> _PyCase:
    key = r.choice(("currency", "line_items", "shipping_address", "status", "sku"))
    return (
        "payload = response.json()",
        f'value = payload["{key}"]',
        [f"E       KeyError: '{key}'"],
        "KeyError",
        f"KeyError: '{key}'",
    )


def _py_status(subj: str, n: int, r: random.Random) -> _PyCase:
    code, name = r.choice(
        (
            (500, "Internal Server Error"),
            (422, "Unprocessable Entity"),
            (409, "Conflict"),
            (403, "Forbidden"),
        )
    )
    return (
        f'resp = client.post("/api/v1/{subj.replace("_", "-")}", json=body)',
        "assert resp.status_code == 200",
        [
            f"E       assert {code} == 200",
            f"E        +  where {code} = <Response [{code} {name}]>.status_code",
        ],
        "AssertionError",
        f"assert {code} == 200",
    )


def _py_mock(subj: str, n: int, r: random.Random) -> _PyCase:
    msg = f"AssertionError: Expected 'send' to have been called once. Called {n} times."
    return (
        f"handle_{subj}(event)",
        "mailer.send.assert_called_once()",
        [f"E       {msg}", f"E       Calls: [call(to='c{r.randint(1, 99)}@example.com'), ...]"],
        "AssertionError",
        msg,
    )


def _py_raises(subj: str, n: int, r: random.Random) -> _PyCase:
    msg = "Failed: DID NOT RAISE <class 'ValueError'>"
    return (
        f"payload = make_{subj}(amount=-{n})",
        "with pytest.raises(ValueError):",
        [f"E       {msg}"],
        "Failed",
        msg,
    )


def _py_read_timeout(subj: str, n: int, r: random.Random) -> _PyCase:
    return (
        "await seed_fixtures()",
        f"resp = await client.get('/internal/{subj}', timeout=2.0)",
        ["E       httpx.ReadTimeout: timed out"],
        "ReadTimeout",
        "httpx.ReadTimeout: timed out",
    )


def _py_dict(subj: str, n: int, r: random.Random) -> _PyCase:
    msg = (
        "AssertionError: assert {'status': 'paid', 'total': '12.40'} == "
        "{'status': 'pending', 'total': '12.40'}"
    )
    return (
        f"order = place_{subj}()",
        "assert order.to_dict() == expected",
        [
            f"E       {msg}",
            "E         Omitting 1 identical items, use -vv to show",
            "E         Differing items:",
            "E         {'status': 'paid'} != {'status': 'pending'}",
        ],
        "AssertionError",
        msg,
    )


def _py_playwright(subj: str, n: int, r: random.Random) -> _PyCase:
    msg = "playwright._impl._errors.TimeoutError: Page.wait_for_selector: Timeout 30000ms exceeded."
    return (
        "await page.click('text=Place order')",
        "await page.wait_for_selector('[data-testid=order-confirmed]')",
        [
            f"E       {msg}",
            "E       Call log:",
            'E         - waiting for locator("[data-testid=order-confirmed]") to be visible',
        ],
        "TimeoutError",
        msg,
    )


_PY_CASES = {
    0: _py_decimal,
    1: _py_len,
    2: _py_key,
    3: _py_status,
    7: _py_mock,
    8: _py_raises,
    9: _py_read_timeout,
    10: _py_dict,
    11: _py_playwright,
}


def _pytest(test: TestCase) -> TestFailure:
    r = _vals(test)
    tail = f"{test.file}:{test.line}"
    if test.mode in (4, 5, 6):
        return _py_deep(test, r, test.mode, tail)
    setup, stmt, err, kind, msg = _PY_CASES[test.mode](_snake_subject(test), r.randint(2, 9), r)
    return _py(_py_frame(test, stmt, setup), err, tail, kind, msg)


def _py(frame: list[str], err: list[str], tail: str, kind: str, msg: str) -> TestFailure:
    body = [*frame, *err, "", f"{tail}: {kind}"]
    start = len(frame)
    return TestFailure(
        msg, kind, tuple(body), tuple(range(start, start + len(err))) + (len(body) - 1,)
    )


def _py_deep(test: TestCase, r: random.Random, mode: int, tail: str) -> TestFailure:
    subj = _snake_subject(test)
    module = test.classname.split(".")[-2 if "Test" in test.classname else -1]
    module = module.removeprefix("test_")
    frame = _py_frame(test, f"resp = service.{subj}(order_id=order.id)", "order = make_order()")
    app = f"app/{module}/service.py:{r.randint(30, 240)}: in {subj}"
    if mode == 4:
        stmt, err, kind = (
            "    total = order.total + adjustment",
            "E   TypeError: unsupported operand type(s) for +: 'Decimal' and 'float'",
            "TypeError",
        )
    elif mode == 5:
        stmt, err, kind = (
            "    return order.customer.default_address.id",
            "E   AttributeError: 'NoneType' object has no attribute 'id'",
            "AttributeError",
        )
    else:
        stmt, err, kind = (
            "    session.flush()",
            "E   sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) "
            "duplicate key value violates unique constraint "
            '"orders_number_key"',
            "IntegrityError",
        )
    body = [
        *frame,
        "",
        f"{tail}: ",
        "_ " * 40,
        app,
        stmt,
        err,
        "",
        f"{app.split(': in')[0]}: {kind}",
    ]
    idx = body.index(err)
    return TestFailure(err[4:], kind, tuple(body), (idx, len(body) - 1), error=True)


def _jest_modes(test: TestCase, r: random.Random) -> list[tuple[str, list[str], str]]:
    """(message, detail lines, failing source line) of each jest failure template."""
    exp, rec = r.choice(
        (
            ("$33.00", "$33.01"),
            ("Free", "$4.99"),
            ("3 items", "2 items"),
            ("Apply", "Applying…"),
            ("€12,40", "12.40 €"),
        )
    )
    n = r.randint(1, 3)
    return [
        (
            "expect(received).toBe(expected) // Object.is equality",
            [f'Expected: "{exp}"', f'Received: "{rec}"'],
            f"expect(screen.getByTestId('total').textContent).toBe('{exp}');",
        ),
        (
            "expect(received).toEqual(expected) // deep equality",
            [
                "- Expected  - 1",
                "+ Received  + 1",
                "",
                "  Object {",
                f'-   "status": "{exp}",',
                f'+   "status": "{rec}",',
                "  }",
            ],
            f"expect(result.current).toEqual({{ status: '{exp}' }});",
        ),
        (
            "expect(jest.fn()).toHaveBeenCalledTimes(expected)",
            [f"Expected number of calls: {n}", f"Received number of calls: {n + 1}"],
            f"expect(onSubmit).toHaveBeenCalledTimes({n});",
        ),
        (
            'TestingLibraryElementError: Unable to find an element by: [data-testid="empty-state"]',
            [],
            "expect(screen.getByTestId('empty-state')).toBeInTheDocument();",
        ),
        (
            "TypeError: Cannot read properties of undefined (reading 'map')",
            [],
            "render(<Subject items={undefined} />);",
        ),
        (
            "expect(element).toHaveTextContent()",
            ["Expected element to have text content:", f"  {exp}", "Received:", f"  {rec}"],
            f"expect(banner).toHaveTextContent('{exp}');",
        ),
        (
            'thrown: "Exceeded timeout of 5000 ms for a test.',
            [
                "Add a timeout value to this test to increase the timeout, if this is a "
                "long-running "
                'test. See https://jestjs.io/docs/api#testname-fn-timeout."'
            ],
            "it('" + test.name.replace("'", "\\'") + "', async () => {",
        ),
        (
            "expect(received).toMatchSnapshot()",
            [
                "Snapshot name: `" + test.classname.split(" › ")[0] + " " + test.name + " 1`",
                "",
                "- Snapshot  - 1",
                "+ Received  + 1",
                "",
                f'-   class="price price--{exp}"',
                f'+   class="price price--{rec}"',
            ],
            "expect(asFragment()).toMatchSnapshot();",
        ),
        (
            "expect(element).toBeDisabled()",
            ["Received element is not disabled:", '  <button type="submit" />'],
            "expect(screen.getByRole('button', { name: /place order/i })).toBeDisabled();",
        ),
        (
            "expect(received).toBe(expected) // Object.is equality",
            ["Expected: true", "Received: false"],
            "expect(isValid).toBe(true);",
        ),
    ]


def _jest(test: TestCase) -> TestFailure:
    r = _vals(test)
    line = test.line + r.randint(2, 6)
    col = r.randint(20, 34)
    modes = _jest_modes(test, r)
    head, details, src = modes[test.mode % len(modes)]
    gap = [] if head.startswith("thrown") else [""]
    body = [
        head,
        *(gap + details if details else []),
        "",
        f"    {line - 2:>4} |   const user = userEvent.setup();",
        f"    {line - 1:>4} |   render(<Subject />);",
        f"  > {line:>4} |   {src}",
        "         | " + " " * (col - 1) + "^",
        f"    {line + 1:>4} |   }});",
        "",
        f"      at Object.<anonymous> ({test.file}:{line}:{col})",
    ]
    cause = (0,) + tuple(range(1 + len(gap), 1 + len(gap) + len(details)))
    kind = (
        head.split(":")[0]
        if head.startswith(("TypeError", "TestingLibrary", "thrown"))
        else "Error"
    )
    return TestFailure(head, kind, tuple(body), cause)


def _maven(test: TestCase) -> TestFailure:
    r = _vals(test)
    klass = test.classname.rsplit(".", 1)[1]
    modes = (
        ("org.opentest4j.AssertionFailedError", "expected: <400> but was: <200>", False),
        ("org.opentest4j.AssertionFailedError", "expected: <true> but was: <false>", False),
        (
            "java.lang.NullPointerException",
            'Cannot invoke "com.acme.shopfront.api.order.Order.getLines()" because "order" is null',
            True,
        ),
        (
            "org.mockito.exceptions.verification.TooManyActualInvocations",
            f"eventPublisher.publish(<any>); Wanted 1 time: -> at {test.classname}."
            f"{test.name}({klass}.java:{test.line}) But was {r.randint(2, 3)} times:",
            False,
        ),
        (
            "java.lang.AssertionError",
            'Expecting actual: ["SKU-1042", "SKU-2291"] to contain '
            'exactly (and in same order): ["SKU-1042"] but some elements were not expected: '
            '["SKU-2291"]',
            False,
        ),
        (
            "org.awaitility.core.ConditionTimeoutException",
            f"Condition with {test.classname} was not fulfilled within 10 seconds.",
            True,
        ),
        (
            "java.lang.IllegalStateException",
            "Reservation RSV-" + str(r.randint(1000, 9999)) + " already released",
            True,
        ),
        (
            "org.springframework.dao.DataIntegrityViolationException",
            "could not execute statement [ERROR: duplicate key value violates unique constraint "
            '"uk_order_number"]',
            True,
        ),
        (
            "org.opentest4j.AssertionFailedError",
            f"expected: <{r.randint(3, 6)}> but was: <{r.randint(0, 2)}>",
            False,
        ),
        (
            "java.lang.AssertionError",
            'JSON path "$.status" expected:<PAID> but was:<PENDING>',
            False,
        ),
    )
    kind, msg, error = modes[test.mode % len(modes)]
    frames = (
        [
            "\tat org.junit.jupiter.api.AssertionFailureBuilder.build("
            "AssertionFailureBuilder.java:151)",
            "\tat org.junit.jupiter.api.AssertEquals.failNotEqual(AssertEquals.java:197)",
        ]
        if "opentest4j" in kind
        else []
    )
    frames += [
        f"\tat {test.classname}.{test.name}({klass}.java:{test.line})",
        "\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)",
        "\tat java.base/java.util.ArrayList.forEach(ArrayList.java:1596)",
    ]
    body = [f"{kind}: {msg}", *frames]
    return TestFailure(msg, kind, tuple(body), (0,), error)


def _go(test: TestCase) -> TestFailure:
    r = _vals(test)
    base = test.file.rsplit("/", 1)[1]
    fn = test.name.split("/")[0].removeprefix("Test")
    a, b = r.randint(2, 9), r.randint(10, 40)
    msgs = (
        f"got {a}, want {a + 1}",
        f"{fn}() unexpected error: open testdata/{fn.lower()}.golden: no such file or directory",
        f'{fn}() mismatch (-want +got):\n          map[string]string{{\n        -   "currency": '
        f'"EUR",\n        +   "currency": "",\n          }}',
        f'{fn}({b}99, "EUR") = "{b},99 €", want "€{b}.99"',
        f'{fn}: Get "http://127.0.0.1:{r.randint(30000, 60000)}/v1/orders": context deadline '
        "exceeded (Client.Timeout exceeded while awaiting headers)",
        "expected error, got nil",
        f"status = {r.choice((500, 404, 401))}, want 200",
        f"len(rows) = {a}, want {a + 2}",
        f"{fn}() = {{Name:default Region:eu-west-1}}, want {{Name:staging Region:eu-west-1}}",
        f"retries = {a}, want {a + 1} (backoff {b}ms)",
    )
    text = msgs[test.mode % len(msgs)]
    lines = text.split("\n")
    body = [f"    {base}:{test.line}: {lines[0]}", *lines[1:]]
    return TestFailure(lines[0], "Failed", tuple(body), tuple(range(len(body))))


def failure_for(test: TestCase, timing: bool = False) -> TestFailure:
    """The failure of ``test`` (a timing-style one when it fails because it is flaky)."""
    if timing:
        test = replace(test, mode=TIMING_MODES[test.suite])
    if test.suite in ("backend", "e2e"):
        return _pytest(test)
    if test.suite == "web":
        return _jest(test)
    if test.suite == "api":
        return _maven(test)
    return _go(test)
