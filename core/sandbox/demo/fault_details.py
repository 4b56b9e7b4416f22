"""Concrete details of planted non-test failures (which file, which rule, which symbol).

The scenario planner calls :func:`describe` once per planted problem, stores the details on the
fault and uses the returned sentence as the truth's ``cause``; the log renderer prints the same
details, so the truth and the log cannot disagree.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["describe"]

_DOMAINS = (
    "cart",
    "checkout",
    "pricing",
    "inventory",
    "orders",
    "payments",
    "search",
    "shipping",
    "tax",
)
_WEB = (
    "CartSummary",
    "CheckoutForm",
    "ProductCard",
    "SearchBar",
    "OrderHistory",
    "MiniCart",
    "AddressForm",
    "PaymentStep",
    "VariantPicker",
)
_JAVA = (
    ("order", "OrderService"),
    ("inventory", "InventoryService"),
    ("payment", "PaymentGatewayClient"),
    ("pricing", "PricingEngine"),
    ("customer", "CustomerController"),
)
_GO = ("orders", "money", "output", "httpclient", "config", "auth")

_RUFF = (
    (
        "F401",
        "`typing.Optional` imported but unused",
        "from typing import Optional",
        19,
        8,
        "Remove unused import: `typing.Optional`",
    ),
    (
        "F841",
        "Local variable `total` is assigned to but never used",
        "    total = sum(line.amount for line in order.lines)",
        5,
        5,
        "Remove assignment to unused variable `total`",
    ),
    (
        "E711",
        "Comparison to `None` should be `cond is None`",
        "    if order.shipped_at == None:",
        25,
        4,
        "Replace with `cond is None`",
    ),
    (
        "B006",
        "Do not use mutable data structures for argument defaults",
        "def build_cart(items=[]):",
        22,
        2,
        "Replace with `None`; initialize within function",
    ),
)
_MYPY = (
    ('Argument 1 to "round_money" has incompatible type "float"; expected "Decimal"', "arg-type"),
    ('Item "None" of "Order | None" has no attribute "lines"', "union-attr"),
    ('Incompatible return value type (got "list[str]", expected "list[Sku]")', "return-value"),
    ('"CartService" has no attribute "apply_coupon"', "attr-defined"),
    ('Missing positional argument "currency" in call to "format_price"', "call-arg"),
)
_ESLINT = (
    ("'discount' is assigned a value but never used", "@typescript-eslint/no-unused-vars"),
    (
        "React Hook useEffect has a missing dependency: 'items'. Either include it or "
        "remove the dependency array",
        "react-hooks/exhaustive-deps",
    ),
    ("Unexpected any. Specify a different type", "@typescript-eslint/no-explicit-any"),
    (
        "Promises must be awaited, end with a call to .catch, end with a call to .then "
        "with a rejection handler or be explicitly marked as ignored with the `void` "
        "operator",
        "@typescript-eslint/no-floating-promises",
    ),
)
_TSC = (
    (
        "TS2322",
        "Type 'string | undefined' is not assignable to type 'string'.",
        ["  Type 'undefined' is not assignable to type 'string'."],
    ),
    ("TS2339", "Property 'discountTotal' does not exist on type 'CartTotals'.", []),
    ("TS2345", "Argument of type 'number' is not assignable to parameter of type 'Money'.", []),
    ("TS7006", "Parameter 'event' implicitly has an 'any' type.", []),
    ("TS2554", "Expected 2 arguments, but got 1.", []),
)
_JAVAC = (
    (
        "cannot find symbol",
        [
            "  symbol:   method reserveAll(java.util.List<com.acme.shopfront.api.order.OrderLine>)",
            "  location: variable inventoryClient of type "
            "com.acme.shopfront.api.inventory.InventoryClient",
        ],
    ),
    ("incompatible types: java.lang.String cannot be converted to java.util.UUID", []),
    ("method does not override or implement a method from a supertype", []),
    ("unreported exception java.io.IOException; must be caught or declared to be thrown", []),
    (
        "constructor OrderLine in record OrderLine cannot be applied to given types;",
        [
            "  required: java.lang.String,int,java.math.BigDecimal",
            "  found:    java.lang.String,int",
            "  reason: actual and formal argument lists differ in length",
        ],
    ),
)
_GO_BUILD = (
    "undefined: formatTotal",
    "cannot use amount (variable of type float64) as int64 value in argument to money.Format",
    "declared and not used: resp",
    "too many arguments in call to client.Get",
)
_GO_VET = (
    "fmt.Sprintf format %d has arg row.Total of wrong type string",
    "the cancel function returned by context.WithTimeout should be called, not "
    "discarded, to avoid a context leak",
    "unreachable code",
    "call has possible Printf formatting directive %s",
)
_PIP_TYPO = (
    ("fastapi-pagination", "0.12.99", "0.12.32"),
    ("python-jose", "3.4.9", "3.3.0"),
    ("stripe", "11.40.0", "11.4.1"),
)


def _ruff(r: random.Random) -> tuple[dict[str, Any], str]:
    code, msg, src, col, width, hint = r.choice(_RUFF)
    path = f"backend/app/{r.choice(_DOMAINS)}/service.py"
    d = {
        "file": path,
        "line": r.randint(8, 140),
        "col": col,
        "code": code,
        "msg": msg,
        "src": src,
        "width": width,
        "help": hint,
    }
    return d, f"ruff {code}: {msg} ({path})"


def _ruff_format(r: random.Random) -> tuple[dict[str, Any], str]:
    path = f"backend/app/{r.choice(_DOMAINS)}/routes.py"
    return {"file": path}, f"ruff format --check: {path} would be reformatted"


def _mypy(r: random.Random) -> tuple[dict[str, Any], str]:
    msg, code = r.choice(_MYPY)
    path = f"backend/app/{r.choice(_DOMAINS)}/service.py"
    return ({"errors": [(path, r.randint(20, 240), msg, code)]}, f"mypy [{code}]: {msg} ({path})")


def _mypy_upstream(r: random.Random) -> tuple[dict[str, Any], str]:
    errs = [
        (
            f"backend/app/{d}/service.py",
            r.randint(20, 240),
            'Unused "type: ignore" comment',
            "unused-ignore",
        )
        for d in r.sample(_DOMAINS, 3)
    ]
    return {"errors": errs}, "mypy 1.14.0 (unpinned) reports unused 'type: ignore' comments"


def _eslint(r: random.Random) -> tuple[dict[str, Any], str]:
    comp = r.choice(_WEB)
    picked = r.sample(_ESLINT, r.choice((1, 1, 2)))
    probs = sorted((r.randint(10, 120), r.randint(3, 30), *p) for p in picked)
    path = f"web/src/components/{comp}/{comp}.tsx"
    return {"file": path, "problems": probs}, f"eslint {probs[0][3]} in {path}"


def _tsc(r: random.Random) -> tuple[dict[str, Any], str]:
    code, msg, more = r.choice(_TSC)
    comp = r.choice(_WEB)
    path = f"src/components/{comp}/{comp}.tsx"
    d = {
        "file": path,
        "line": r.randint(10, 160),
        "col": r.randint(3, 40),
        "code": code,
        "msg": msg,
        "more": more,
    }
    return d, f"tsc {code}: {msg} (web/{path})"


def _javac(r: random.Random) -> tuple[dict[str, Any], str]:
    msg, more = r.choice(_JAVAC)
    pkg, klass = r.choice(_JAVA)
    path = f"src/main/java/com/acme/shopfront/api/{pkg}/{klass}.java"
    d = {
        "file": path,
        "line": r.randint(30, 220),
        "col": r.randint(8, 40),
        "msg": msg,
        "more": more,
    }
    return d, f"javac: {msg} ({klass}.java)"


def _go(r: random.Random, vet: bool) -> tuple[dict[str, Any], str]:
    pkg = r.choice(_GO)
    msg = r.choice(_GO_VET if vet else _GO_BUILD)
    d = {
        "pkg": pkg,
        "file": f"internal/{pkg}/{pkg}.go",
        "line": r.randint(20, 200),
        "col": r.randint(2, 30),
        "msg": msg,
        "vet": vet,
    }
    return d, f"go {'vet' if vet else 'build'}: {msg} (cli/internal/{pkg})"


def _pip_typo(r: random.Random) -> tuple[dict[str, Any], str]:
    name, bad, last = r.choice(_PIP_TYPO)
    return (
        {"name": name, "bad": bad, "last": last},
        f"pip: no matching distribution for {name}=={bad}",
    )


def _npm_404(r: random.Random) -> tuple[dict[str, Any], str]:
    return (
        {"pkg": "@acme-labs/design-tokens", "ver": "2.3.0"},
        "npm E404: @acme-labs/design-tokens@2.3.0 is not in the registry",
    )


def _action_ref(r: random.Random) -> tuple[dict[str, Any], str]:
    return (
        {"action": "actions/setup-node@v5.1", "ver": "v5.1"},
        "workflow references a non-existent action version actions/setup-node@v5.1",
    )


_DESCRIBERS = {
    "ruff": _ruff,
    "ruff_format": _ruff_format,
    "mypy": _mypy,
    "mypy_upstream": _mypy_upstream,
    "eslint": _eslint,
    "tsc": _tsc,
    "javac": _javac,
    "go_build": lambda r: _go(r, False),
    "go_vet": lambda r: _go(r, True),
    "pip_missing": _pip_typo,
    "npm_e404": _npm_404,
    "action_ref": _action_ref,
}


def describe(kind: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    """(details for the renderer, one-line cause for the truth) of a planted failure."""
    fn = _DESCRIBERS.get(kind)
    return fn(rng) if fn else ({}, kind)
