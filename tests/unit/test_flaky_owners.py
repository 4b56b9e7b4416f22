"""Who owns a quarantined test: GitHub's CODEOWNERS rules, and a test id's file in the repository.

Specification (issue 15): an entry's owner comes from CODEOWNERS when the repository has one,
read as GitHub reads it (the last matching pattern wins, gitignore-like globs, lines GitHub
cannot read are skipped); a test's file comes from its id, found among the paths the history
touched (a monorepo's ``backend/`` is not in a JUnit classname); a test whose id names no file
(a jest describe block) has no owner, and says so.
"""

from __future__ import annotations

import pytest

from agents.flaky_tests.owners import Codeowners, PathIndex, id_location, locate, ownership

RULES = """\
# the catch-all first: a later line overrides it
*                     @acme/everyone
/backend/             @acme/backend
/backend/tests/e2e/   @acme/qa
*.md                  @acme/docs
apps/                 @acme/apps
/vendor/
/services/**/test/    @acme/testers jane@example.com
"""


# -- CODEOWNERS ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "owners", "line"),
    [
        ("backend/tests/e2e/test_cart.py", ("@acme/qa",), 4),  # the last match, not the first
        ("backend/app/cart.py", ("@acme/backend",), 3),
        ("web/src/App.tsx", ("@acme/everyone",), 2),
        ("backend/README.md", ("@acme/docs",), 5),  # a later line beats the folder's
        ("src/apps/main.py", ("@acme/apps",), 6),  # no leading slash: at any depth
        ("vendor/lib/x.js", (), 7),  # a pattern without owners takes them away
        ("services/pay/api/test/PayTest.java", ("@acme/testers", "jane@example.com"), 8),
    ],
)
def test_given_codeowners_when_a_path_is_looked_up_then_the_last_matching_line_decides(
    path, owners, line
):
    found, rule = Codeowners(RULES).owners(path)

    assert found == owners
    assert rule.startswith(f"line {line}:")


def test_given_the_same_two_lines_in_either_order_when_looked_up_then_the_later_one_wins():
    narrow_last = Codeowners("* @acme/everyone\n/backend/ @acme/backend\n")
    broad_last = Codeowners("/backend/ @acme/backend\n* @acme/everyone\n")

    assert narrow_last.owners("backend/app.py") == (("@acme/backend",), "line 2: /backend/")
    assert broad_last.owners("backend/app.py") == (("@acme/everyone",), "line 2: *")


def test_given_lines_github_cannot_read_when_parsed_then_they_are_skipped_and_numbering_kept():
    text = "* @all\n!/backend/ @nobody\n/src/[ab].py @nobody\n/docs/[ @nobody\n/api/ @api\n"

    rules = Codeowners(text)

    assert rules.skipped == (2, 3, 4)
    assert rules.owners("backend/x.py") == (("@all",), "line 1: *")
    assert rules.owners("api/handler.go") == (("@api",), "line 5: /api/")


def test_given_no_matching_line_when_looked_up_then_no_owner_and_it_says_so():
    assert Codeowners("/backend/ @acme/backend\n").owners("web/app.ts") == (
        (),
        "no CODEOWNERS line matches",
    )


# -- a test id's file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test_id", "paths"),
    [
        ("tests/unit/test_cart.py::TestCart::test_add[1-2]", ("tests/unit/test_cart.py",)),
        ("./tests/test_x.py::test_y", ("tests/test_x.py",)),
        ("tests.unit.test_cart.TestCart::test_add", ("tests/unit/test_cart.py",)),
        ("tests.e2e.test_login::test_logout[webkit]", ("tests/e2e/test_login.py",)),
        ("src/cart.test.ts::Cart › adds an item", ("src/cart.test.ts",)),
        (
            "github.com/acme/shop/cli/internal/auth::TestLogin",
            ("github.com/acme/shop/cli/internal/auth/",),
        ),
    ],
)
def test_given_an_id_that_names_its_file_when_read_then_that_file_is_the_candidate(test_id, paths):
    assert id_location(test_id).paths == paths


def test_given_a_jvm_class_when_read_then_its_source_file_in_any_jvm_language_is_the_candidate():
    found = id_location("com.acme.cart.CartServiceTest$Nested::shouldAdd")

    assert found.paths[0] == "com/acme/cart/CartServiceTest.java"
    assert "com/acme/cart/CartServiceTest.kt" in found.paths


@pytest.mark.parametrize(
    "test_id",
    ["CartSummary › edge cases::shows a toast", "Cart adds::an item", "test_login", "TestCart::ok"],
)
def test_given_an_id_that_names_no_file_when_read_then_there_is_no_candidate_and_a_reason(
    test_id,
):
    said = id_location(test_id)

    assert isinstance(said, str)
    assert "no file" in said or "describe block" in said


KNOWN = [
    "backend/tests/unit/test_cart.py",
    "backend/app/cart.py",
    "web/src/components/Cart/Cart.test.tsx",
    "services/api/src/test/java/com/acme/api/cart/CartServiceTest.java",
    "services/api/src/test/kotlin/com/acme/api/pay/PayTest.kt",
    "cli/internal/auth/auth_test.go",
    "one/lib/test_util.py",
    "two/lib/test_util.py",
]


@pytest.mark.parametrize(
    ("test_id", "expected"),
    [
        ("tests.unit.test_cart.TestCart::test_total", "backend/tests/unit/test_cart.py"),
        # a module the history never touched, under the one root where tests/ is known
        ("tests.e2e.test_checkout::test_pay[chromium]", "backend/tests/e2e/test_checkout.py"),
        ("src/components/Cart/Cart.test.tsx::Cart › adds", "web/src/components/Cart/Cart.test.tsx"),
        (
            "com.acme.api.cart.CartServiceTest::shouldAdd",
            "services/api/src/test/java/com/acme/api/cart/CartServiceTest.java",
        ),
        (
            "com.acme.api.pay.PayTest::refunds",
            "services/api/src/test/kotlin/com/acme/api/pay/PayTest.kt",
        ),
        # a class of a known package that the history never touched: under that package's root
        (
            "com.acme.api.cart.OrderTest::ships",
            "services/api/src/test/java/com/acme/api/cart/OrderTest.java",
        ),
        ("github.com/acme/shop/cli/internal/auth::TestLogin", "cli/internal/auth/"),
        ("github.com/acme/shop/cli/internal/money::TestRound", "cli/internal/money/"),
    ],
)
def test_given_the_paths_the_history_touched_when_a_test_is_located_then_its_file_is_found(
    test_id, expected
):
    found, located = locate(test_id, PathIndex(KNOWN))

    assert found == expected, located


def test_given_two_files_that_fit_when_a_test_is_located_then_it_is_ambiguous_and_has_no_file():
    found, located = locate("lib.test_util::test_x", PathIndex(KNOWN))

    assert found is None and "2 files" in located


def test_given_no_known_path_when_a_test_is_located_then_its_id_path_is_used_as_it_is():
    assert locate("tests.test_api::test_flaky", PathIndex([]))[0] == "tests/test_api.py"


# -- both together ---------------------------------------------------------------------------


def test_given_codeowners_and_paths_when_tests_are_owned_then_each_gets_its_owners_and_rule():
    found = ownership(
        [
            "tests.unit.test_cart::test_total",
            "tests.e2e.test_checkout::test_pay",
            "CartSummary › edge cases::shows a toast",
        ],
        RULES,
        KNOWN,
    )

    cart = found["tests.unit.test_cart::test_total"]
    assert cart.owners == ("@acme/backend",) and cart.file == "backend/tests/unit/test_cart.py"
    assert cart.rule.startswith("line 3:")
    assert found["tests.e2e.test_checkout::test_pay"].owners == ("@acme/qa",)
    jest = found["CartSummary › edge cases::shows a toast"]
    assert jest.owners == () and jest.file is None and "describe block" in jest.located


def test_given_no_codeowners_file_when_tests_are_owned_then_none_has_an_owner_and_it_says_why():
    found = ownership(["tests.unit.test_cart::test_total"], None, KNOWN)

    only = found["tests.unit.test_cart::test_total"]
    assert only.owners == () and only.file == "backend/tests/unit/test_cart.py"
    assert "no CODEOWNERS file" in only.rule
