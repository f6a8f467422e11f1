"""Time windows and visit days, as pure functions (no Django, no database).

Which date a paper is "in": its `listed_on`, the date of the newest digest it appeared in. It is the
date a reader sees (the card's "from <digest>"), the date lists are ordered by, and a window over it
is one range of the listing index. A paper that re-appears in a later digest moves to that digest's
date, so it counts, and is marked "new", again: the digest's editor listed it again, and the reader
finds it at the top of the list among that day's papers. (Counting a paper's first appearance would
need a column kept up by imports and digest re-dating; the digests so far repeat no paper.)

"Today" is the newest digest's day, not the calendar's: at 08:00, before today's digest is imported,
`?since=today` shows yesterday's digest instead of nothing, and `week` / `month` are the 7 / 30 digest
days up to it. The page names the day it counted from. The window then only moves when a digest
arrives, which the page cache and the feeds' validators see as a write; a calendar day would change
a cached page at midnight without any write.

"New since your last visit", day by day: the reader's cookie holds two dates, the previous visit day
and the day of this visit (`2026-11-30_2026-12-02`; just `2026-12-02` before a second visit day). A
page marks papers listed after the previous visit day, all day long; on the first request of a new
day the cookie moves on (the old "this visit" becomes the previous one). See papers.visits.
"""

import datetime
import re
from dataclasses import dataclass

# ?since= values: how many digest days each covers, counting the newest one.
SINCE_DAYS = {"today": 1, "week": 7, "month": 30}
# A day in a URL or a cookie is exactly YYYY-MM-DD, in ASCII digits.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A cookie lives a year; a visit day older than that is from a forged or broken cookie.
VISIT_MAX_AGE_DAYS = 366


def parse_day(text):
    """The date `text` writes as YYYY-MM-DD, or None (anything else: other forms, 2026-13-45, junk)."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def since_start(since, *, newest_day):
    """The first day of the window `since` names (a SINCE_DAYS key), counted back from `newest_day`."""
    return newest_day - datetime.timedelta(days=SINCE_DAYS[since] - 1)


def newest_day(newest_digest_day, *, today):
    """The day windows count back from: the newest digest's, or the calendar's when there is none."""
    return newest_digest_day or today


@dataclass(frozen=True)
class Visit:
    """What a valid visit cookie says about this request."""

    previous: datetime.date | None  # papers listed after this day are new; None on the first visit day
    renewed: str | None  # the cookie's new value, on the first request of a new day; else None

    @property
    def page_variant(self):
        """What the page depends on: the same for every reader with the same previous visit day."""
        return self.previous.isoformat() if self.previous else "first"


def cookie_value(previous, current):
    return f"{previous.isoformat()}_{current.isoformat()}" if previous else current.isoformat()


def start_visits(today):
    """The cookie of a reader who asks to have new papers marked from now on."""
    return cookie_value(None, today)


def read_visit(value, *, today):
    """The Visit a cookie value stands for, or None when it is missing or not one this site wrote.

    Strict: one or two days as written by cookie_value(), the previous before the current, the
    current not after `today` and neither older than a cookie lives. Anything else is ignored.
    """
    if not isinstance(value, str) or len(value) > 21:
        return None
    parts = value.split("_")
    days = [parse_day(part) for part in parts]
    if len(days) > 2 or None in days:
        return None
    current, previous = days[-1], (days[0] if len(days) == 2 else None)
    max_age = datetime.timedelta(days=VISIT_MAX_AGE_DAYS)
    if not today - max_age <= current <= today or (
        previous is not None and not current - max_age <= previous < current
    ):
        return None
    if current == today:
        return Visit(previous=previous, renewed=None)
    return Visit(previous=current, renewed=cookie_value(current, today))
