"""One test, two spellings: the console's id of a test joined to its JUnit report's id, with no
knowledge of the runner, so that a test's failures read from logs and its passes read from
reports are one history (the ids below are written here, in each runner's own style)."""

from __future__ import annotations

from core.logs.reports.spellings import report_spellings


def test_a_pytest_node_id_takes_the_reports_dotted_spelling():
    reports = [
        "tests.unit.test_cart::test_total",
        "tests.unit.test_cart.TestCoupons::test_expired[EUR-1.5]",
        "tests.unit.test_orders::test_total",
    ]
    console = [
        "tests/unit/test_cart.py::test_total",
        "tests/unit/test_cart.py::TestCoupons::test_expired[EUR-1.5]",
    ]
    assert report_spellings(console, reports) == {
        "tests/unit/test_cart.py::test_total": "tests.unit.test_cart::test_total",
        "tests/unit/test_cart.py::TestCoupons::test_expired[EUR-1.5]": (
            "tests.unit.test_cart.TestCoupons::test_expired[EUR-1.5]"
        ),
    }


def test_a_jest_id_takes_the_report_whose_describe_blocks_match_most_closely():
    """Two reports end with the same title; the nested describe block tells them apart."""
    reports = ["Basket::adds an item", "Basket › when empty::adds an item"]
    console = [
        "src/basket.test.ts::Basket › adds an item",
        "src/basket.test.ts::Basket › when empty › adds an item",
    ]
    assert report_spellings(console, reports) == {
        "src/basket.test.ts::Basket › adds an item": "Basket::adds an item",
        "src/basket.test.ts::Basket › when empty › adds an item": (
            "Basket › when empty::adds an item"
        ),
    }


def test_ids_spelled_alike_or_with_no_report_are_left_alone():
    reports = ["github.com/acme/cli/parse::TestFlags"]
    console = ["github.com/acme/cli/parse::TestFlags", "tests/test_new.py::test_added"]
    assert report_spellings(console, reports) == {}


def test_a_tie_between_two_reports_names_no_spelling():
    """Guessing would merge two tests' histories into one; keeping the log's spelling only
    leaves one history split in two."""
    reports = ["api.Orders::lists", "web.Orders::lists"]
    assert report_spellings(["api/web/Orders::lists"], reports) == {}  # both fit, equally
    assert report_spellings(["web/Orders::lists"], reports) == {
        "web/Orders::lists": "web.Orders::lists"
    }
