"""The pure rules of time windows and visit days (papers.windows), without Django."""

import datetime

import pytest

from papers import windows

DAY = datetime.date(2026, 12, 2)


def days_before(n):
    return DAY - datetime.timedelta(days=n)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13-45", "2026-02-30", "2026-1-5", "20261125", "2026/11/25", " 2026-11-25", "2026-11-25 ",
        "2026-11-25\x00", "2026-11-25\n", "２０２６-１１-２５", "x" * 10_000, "", "-001-01-01", None,
        20261125,
    ],
)  # fmt: skip
def test_anything_but_a_real_iso_day_is_no_day(text):
    assert windows.parse_day(text) is None


def test_a_real_day_is_read():
    assert windows.parse_day("2026-11-25") == datetime.date(2026, 11, 25)
    assert windows.parse_day("2024-02-29") == datetime.date(2024, 2, 29)


def test_since_counts_digest_days_back_including_the_newest():
    assert windows.since_start("today", newest_day=DAY) == DAY
    assert windows.since_start("week", newest_day=DAY) == days_before(6)
    assert windows.since_start("month", newest_day=DAY) == days_before(29)


def test_windows_count_from_the_newest_digest_and_the_calendar_only_without_one():
    assert windows.newest_day(days_before(1), today=DAY) == days_before(1)
    assert windows.newest_day(None, today=DAY) == DAY


def test_a_first_visit_day_marks_nothing_and_keeps_the_cookie():
    visit = windows.read_visit(windows.start_visits(DAY), today=DAY)
    assert visit == windows.Visit(previous=None, renewed=None)
    assert visit.page_variant == "first"


def test_a_new_day_moves_the_cookie_on_once():
    cookie = windows.start_visits(days_before(3))
    visit = windows.read_visit(cookie, today=DAY)
    assert visit.previous == days_before(3)
    assert visit.renewed == f"{days_before(3).isoformat()}_{DAY.isoformat()}"
    # The rest of the day: the same previous visit day, and no new cookie.
    again = windows.read_visit(visit.renewed, today=DAY)
    assert again == windows.Visit(previous=days_before(3), renewed=None)
    assert again.page_variant == days_before(3).isoformat()
    # The next day, this visit becomes the previous one.
    tomorrow = windows.read_visit(visit.renewed, today=DAY + datetime.timedelta(days=1))
    assert tomorrow.previous == DAY
    assert tomorrow.renewed == f"{DAY.isoformat()}_{(DAY + datetime.timedelta(days=1)).isoformat()}"


@pytest.mark.parametrize(
    "value",
    [
        None, "", "yes", "<script>alert(1)</script>", "2026-13-45", "2026-12-03",  # the future
        days_before(400).isoformat(),  # older than a cookie lives
        f"{DAY.isoformat()}_{DAY.isoformat()}",  # previous not before current
        f"{days_before(1).isoformat()}_{days_before(2).isoformat()}",
        f"{days_before(1).isoformat()}_{DAY.isoformat()}_x", f"_{DAY.isoformat()}",
        f"{days_before(3).isoformat()}_{DAY.isoformat()}_{DAY.isoformat()}", "2026-12-02" * 1000,
    ],
)  # fmt: skip
def test_a_forged_or_broken_cookie_is_ignored(value):
    assert windows.read_visit(value, today=DAY) is None
