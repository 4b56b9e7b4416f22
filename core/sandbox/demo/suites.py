"""The test suites of the demo repository: hundreds of stable, realistic test identifiers.

Suites are built from a fixed seed (not the demo seed) so that a test keeps its name across
demos; the demo seed only decides what fails. Each test carries the JUnit ``classname``/``name``
its tool would report, the file it lives in and the line of its assertion, so that console
output, JUnit XML and the planted truth all name it the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

__all__ = ["TestCase", "suite", "SUITES"]

SUITES = ("backend", "e2e", "web", "api", "cli")


@dataclass(frozen=True)
class TestCase:
    """One test as its runner and its JUnit report name it."""

    suite: str
    classname: str
    name: str
    group: str  # pytest/jest file, maven class, go package
    file: str  # source file of the test (relative to the component root)
    line: int
    added: float  # fraction of the history after which the test exists
    skip: str | None
    mode: int  # index of the failure template used when this test fails
    test_id: str = field(init=False)  # ``classname::name``, the JUnit convention of truth.json

    def __post_init__(self) -> None:
        object.__setattr__(self, "test_id", f"{self.classname}::{self.name}")


_PY_DOMAINS: dict[str, tuple[str, ...]] = {
    "cart": (
        "total",
        "subtotal",
        "line_items",
        "quantity",
        "merge_guest_cart",
        "coupon",
        "currency",
        "remove_item",
        "empty_cart",
        "max_items",
    ),
    "checkout": (
        "session",
        "address",
        "payment_intent",
        "idempotency_key",
        "shipping_method",
        "order_confirmation",
        "gift_card",
        "split_tender",
    ),
    "pricing": (
        "unit_price",
        "bulk_discount",
        "rounding",
        "price_list",
        "tiered_price",
        "currency_conversion",
        "promo_stack",
        "minimum_price",
    ),
    "inventory": (
        "reservation",
        "stock_level",
        "backorder",
        "warehouse_pick",
        "restock",
        "reservation_expiry",
        "safety_stock",
    ),
    "orders": (
        "status_transition",
        "cancellation",
        "refund",
        "order_history",
        "invoice",
        "partial_shipment",
        "order_number",
    ),
    "payments": (
        "capture",
        "authorization",
        "webhook_signature",
        "retry_backoff",
        "refund",
        "3ds_challenge",
        "currency_mismatch",
    ),
    "auth": (
        "login",
        "token_refresh",
        "password_reset",
        "session_expiry",
        "rate_limit",
        "mfa_code",
        "api_key_scope",
    ),
    "users": ("profile_update", "email_change", "address_book", "gdpr_export", "deactivation"),
    "search": ("query_parser", "facets", "ranking", "typo_tolerance", "pagination", "synonyms"),
    "catalog": (
        "product_import",
        "variant_matrix",
        "category_tree",
        "slug",
        "image_urls",
        "availability",
    ),
    "shipping": (
        "rate_quote",
        "label_creation",
        "tracking_sync",
        "zone_lookup",
        "free_shipping_threshold",
    ),
    "tax": ("vat_rate", "tax_exempt", "reverse_charge", "tax_rounding", "us_sales_tax"),
    "webhooks": ("delivery", "retry_schedule", "signature", "dead_letter", "fanout"),
    "notifications": ("order_email", "sms_template", "unsubscribe", "digest", "locale"),
}
_PY_CONDS = (
    "",
    "with_tax",
    "for_guest",
    "when_empty",
    "rejects_negative",
    "handles_unicode",
    "is_idempotent",
    "after_expiry",
    "with_multiple_currencies",
    "on_timeout",
    "returns_404",
    "requires_auth",
    "round_trips",
    "uses_cache",
    "respects_limit",
    "logs_warning",
    "for_eu_customer",
    "when_disabled",
)
_PY_SKIPS = ("requires redis", "flaky on CI, see #812", "needs live sandbox credentials")

_WEB_COMPONENTS = (
    "CartSummary",
    "CartLineItem",
    "CheckoutForm",
    "AddressForm",
    "PaymentStep",
    "ProductCard",
    "ProductGallery",
    "VariantPicker",
    "SearchBar",
    "SearchResults",
    "FacetFilters",
    "OrderHistory",
    "OrderDetails",
    "LoginForm",
    "SignupForm",
    "AccountMenu",
    "Header",
    "MiniCart",
    "PromoBanner",
    "ShippingOptions",
    "Price",
    "QuantityStepper",
    "Toast",
    "Pagination",
    "WishlistButton",
    "ReviewList",
)
_WEB_HOOKS = (
    "useCart",
    "useDebounce",
    "useCheckout",
    "useProductQuery",
    "useLocale",
    "useAuth",
    "useFeatureFlag",
)
_WEB_LIBS = (
    "money",
    "api-client",
    "validation",
    "analytics",
    "storage",
    "routes",
    "formatDate",
    "i18n",
    "featureFlags",
)
_WEB_VERBS = (
    "renders",
    "shows",
    "hides",
    "disables",
    "calls",
    "formats",
    "validates",
    "updates",
    "announces",
    "focuses",
    "debounces",
    "retries",
)
_WEB_OBJECTS = (
    "the subtotal",
    "the empty state",
    "an error message",
    "the submit button",
    "onChange with the new value",
    "prices in the user's locale",
    "the loading spinner",
    "the selected variant",
    "a toast on success",
    "the first invalid field",
    "the request once",
    "the badge count",
    "keyboard navigation",
    "the discount line",
    "the aria-live region",
    "the next page link",
)
_WEB_WHEN = (
    "",
    " when the cart is empty",
    " while the request is pending",
    " on blur",
    " after a failed request",
    " for guest users",
    " with a coupon applied",
    " in RTL layouts",
    " when offline",
    " on second click",
)

_JAVA_CLASSES = (
    ("order", "OrderServiceTest"),
    ("order", "OrderControllerTest"),
    ("inventory", "InventoryServiceTest"),
    ("inventory", "InventoryReservationIT"),
    ("payment", "PaymentGatewayClientTest"),
    ("pricing", "PricingEngineTest"),
    ("customer", "CustomerRepositoryTest"),
)
_JAVA_NAMES = (
    "shouldRejectNegativeQuantity",
    "shouldReturn404WhenOrderMissing",
    "shouldReleaseExpiredReservation",
    "shouldRejectDuplicateOrderNumber",
    "shouldPublishOrderCreatedEvent",
    "shouldRefundPartialAmount",
    "shouldRejectEmptyCart",
    "shouldFailOnCurrencyMismatch",
    "shouldSerializeConcurrentReservations",
    "shouldReturn422ForUnknownSku",
    "shouldComputeTaxBreakdown",
    "shouldHonourIdempotencyKey",
    "shouldPaginateOrderHistory",
    "shouldRejectStaleVersion",
    "shouldRejectInvalidEmail",
    "shouldCapDiscountAtSubtotal",
    "shouldTimeOutOnLockContention",
    "shouldRestockReleasedItems",
    "shouldMarkDeclinedCardAsFailed",
    "shouldSplitBackorderedLines",
    "shouldKeepShippingAddressOnRetry",
    "shouldMergeGuestCustomer",
    "mapsEntityToDto",
    "persistsOrderWithLines",
    "retriesOnGatewayTimeout",
    "returnsEmptyPageWhenNoOrders",
    "calculatesBulkDiscount",
    "roundsHalfEvenForJpy",
    "findsCustomerByEmailIgnoringCase",
    "reservesStockAtomically",
    "emitsMetricsOnCapture",
    "validatesPostcodeForCountry",
)
_GO_PACKAGES = ("config", "parse", "money", "httpclient", "output", "auth", "orders", "cache")
_GO_SUBJECTS = (
    "Parse",
    "Load",
    "Format",
    "Render",
    "Retry",
    "Resolve",
    "Validate",
    "Merge",
    "Decode",
    "Encode",
    "Lookup",
    "Refresh",
)
_GO_OBJECTS = (
    "Args",
    "Config",
    "Price",
    "Table",
    "JSON",
    "Token",
    "Order",
    "Flags",
    "Timeout",
    "Profile",
    "Env",
    "Currency",
)
_GO_CASES = (
    "empty_input",
    "unicode",
    "missing_field",
    "negative",
    "large_value",
    "trailing_slash",
    "expired",
    "default_profile",
)

_E2E_FLOWS = ("checkout", "search", "account", "cart", "returns", "wishlist")
_E2E_TESTS = (
    "guest_checkout",
    "saved_card_checkout",
    "apply_coupon",
    "change_address",
    "search_and_filter",
    "sort_by_price",
    "login_and_logout",
    "reset_password",
    "add_to_cart_from_listing",
    "update_quantity",
    "start_return",
    "move_to_wishlist",
    "paypal_redirect",
    "out_of_stock_banner",
)


def _added(rng: random.Random) -> float:
    """Most tests predate the history; about one in eight is added during it."""
    return 0.0 if rng.random() < 0.88 else round(rng.uniform(0.02, 0.97), 3)


def _backend(rng: random.Random) -> list[TestCase]:
    tests: list[TestCase] = []
    for domain, subjects in _PY_DOMAINS.items():
        for prefix in ("tests/unit", "tests/api"):
            if prefix == "tests/api" and rng.random() < 0.45:
                continue
            path = f"{prefix}/test_{domain}.py"
            klass = f"Test{domain.title()}Api" if prefix == "tests/api" else None
            module = path[:-3].replace("/", ".")
            names: set[str] = set()
            line = 12
            for _ in range(rng.randint(10, 17)):
                cond = rng.choice(_PY_CONDS)
                name = f"test_{rng.choice(subjects)}" + (f"_{cond}" if cond else "")
                if name in names:
                    continue
                names.add(name)
                if rng.random() < 0.08:
                    name += rng.choice(("[EUR-2]", "[USD-2]", "[JPY-0]", "[de_DE]", "[sqlite]"))
                line += rng.randint(6, 28)
                skip = rng.choice(_PY_SKIPS) if rng.random() < 0.012 else None
                classname = f"{module}.{klass}" if klass else module
                tests.append(
                    TestCase(
                        "backend",
                        classname,
                        name,
                        path,
                        path,
                        line,
                        _added(rng),
                        skip,
                        rng.randrange(11),
                    )
                )
    return tests


def _e2e(rng: random.Random) -> list[TestCase]:
    tests = []
    for flow in _E2E_FLOWS:
        path = f"tests/e2e/test_{flow}.py"
        line = 20
        for test in rng.sample(_E2E_TESTS, rng.randint(5, 8)):
            for browser in ("chromium", "webkit"):
                line += rng.randint(8, 20)
                tests.append(
                    TestCase(
                        "e2e",
                        path[:-3].replace("/", "."),
                        f"test_{test}[{browser}]",
                        path,
                        path,
                        line,
                        _added(rng),
                        None,
                        rng.choice((3, 10, 11, 11)),
                    )
                )
    return tests


def _web(rng: random.Random) -> list[TestCase]:
    files = [(f"src/components/{c}/{c}.test.tsx", c) for c in _WEB_COMPONENTS]
    files += [(f"src/hooks/{h}.test.ts", h) for h in _WEB_HOOKS]
    files += [(f"src/lib/{lib}.test.ts", lib) for lib in _WEB_LIBS]
    tests = []
    for path, top in files:
        nested = rng.choice(("", "", "interactions", "accessibility", "edge cases"))
        seen: set[str] = set()
        line = 14
        for _ in range(rng.randint(4, 8)):
            title = f"{rng.choice(_WEB_VERBS)} {rng.choice(_WEB_OBJECTS)}{rng.choice(_WEB_WHEN)}"
            if title in seen:
                continue
            seen.add(title)
            classname = top if not nested or rng.random() < 0.5 else f"{top} › {nested}"
            line += rng.randint(5, 22)
            skip = "todo" if rng.random() < 0.015 else None
            tests.append(
                TestCase(
                    "web", classname, title, path, path, line, _added(rng), skip, rng.randrange(10)
                )
            )
    return tests


def _api(rng: random.Random) -> list[TestCase]:
    tests = []
    for package, klass in _JAVA_CLASSES:
        classname = f"com.acme.shopfront.api.{package}.{klass}"
        path = f"src/test/java/com/acme/shopfront/api/{package}/{klass}.java"
        seen: set[str] = set()
        line = 30
        for name in rng.sample(_JAVA_NAMES, rng.randint(15, 22)):
            if name in seen:
                continue
            seen.add(name)
            line += rng.randint(7, 19)
            skip = "disabled" if rng.random() < 0.015 else None
            tests.append(
                TestCase(
                    "api", classname, name, klass, path, line, _added(rng), skip, rng.randrange(10)
                )
            )
    return tests


def _cli(rng: random.Random) -> list[TestCase]:
    tests = []
    for package in _GO_PACKAGES:
        importpath = f"github.com/acme-labs/shopfront/cli/internal/{package}"
        path = f"internal/{package}/{package}_test.go"
        seen: set[str] = set()
        line = 18
        for _ in range(rng.randint(5, 9)):
            name = f"Test{rng.choice(_GO_SUBJECTS)}{rng.choice(_GO_OBJECTS)}"
            if name in seen:
                continue
            seen.add(name)
            cases = rng.sample(_GO_CASES, rng.choice((0, 0, 2, 3)))
            added = _added(rng)  # subtests exist exactly when their parent does
            for sub in [name] + [f"{name}/{c}" for c in cases]:
                line += rng.randint(4, 15)
                tests.append(
                    TestCase(
                        "cli",
                        importpath,
                        sub,
                        importpath,
                        path,
                        line,
                        added,
                        None,
                        rng.randrange(10),
                    )
                )
    return tests


_BUILDERS = {"backend": _backend, "e2e": _e2e, "web": _web, "api": _api, "cli": _cli}


@cache
def suite(name: str) -> tuple[TestCase, ...]:
    """All tests of one suite in execution order (stable across demo seeds)."""
    rng = random.Random(f"shopfront-suite-{name}")
    tests = _BUILDERS[name](rng)
    if name in ("backend", "e2e", "cli"):  # pytest and `go test ./...` run files/packages sorted
        tests.sort(key=lambda t: (t.group, t.line))
    return tuple(tests)
