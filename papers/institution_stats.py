"""What an institution's page shows besides its papers: papers per area per month, and co-affiliations.

Reads only, four queries whatever the number of papers (tests/test_institution_page.py pins them):
the newest listing date, the counts by area and day, the co-affiliations and their names. The page
reads them through cached_institution_stats(): one lookup of the site version while nothing changed.
Both counts start from the institution's rows in affiliation_institution_idx and join papers by id,
so their cost grows with the institution's papers, not the site's (benchmarks/institution_bench.py).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language

from . import charts
from .models import Affiliation, Institution, Paper
from .pagecache import code_digest, versioned

FIGURES_TEMPLATE = "papers/includes/institution_stats.html"

MONTHS = 24
CO_AFFILIATIONS = 10


@dataclass(frozen=True)
class AreaSeries:
    code: str | None  # None: papers without an area
    name_en: str
    name_zh: str
    total: int


@dataclass(frozen=True)
class MonthRow:
    month: datetime.date
    counts: list  # one per area series, in the series' order
    total: int


@dataclass(frozen=True)
class CoAffiliation:
    name: str
    slug: str
    papers: int

    def get_absolute_url(self):
        return reverse("papers:institution", args=[self.slug])


@dataclass(frozen=True)
class InstitutionStats:
    first_month: datetime.date | None
    last_month: datetime.date | None
    series: list
    rows: list  # MonthRow, oldest first, every month of the window (zeros included)
    total: int
    busiest: MonthRow | None
    chart: charts.Chart | None
    co_affiliations: list


def month_window(last, months=MONTHS):
    """The `months` first days of months ending with `last`'s month, oldest first."""
    year, month = last.year, last.month
    found = []
    for _ in range(months):
        found.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def cached_institution_stats(institution):
    """institution_stats(), kept under the site version (papers.pagecache): one lookup while nothing
    changed, for every language, filter and reader (curators get no page cache, but this one)."""
    return versioned(
        f"institution-stats:{institution.pk}", lambda: institution_stats(institution), read_version=True
    )


def institution_figures(institution, request):
    """The figures' HTML (FIGURES_TEMPLATE), kept like the stats, per language: drawing the chart and
    its table costs a first page more than all its other parts (5 of 20 ms at 100,000 papers)."""
    figures = code_digest((FIGURES_TEMPLATE,))
    name = f"institution-figures:{institution.pk}:{get_language()}:{get_script_prefix()}:{figures}"
    return versioned(
        name,
        lambda: render_to_string(
            FIGURES_TEMPLATE,
            {"institution": institution, "institution_stats": cached_institution_stats(institution)},
            request,
        ),
    )


def institution_stats(institution, *, months=MONTHS, co_affiliations=CO_AFFILIATIONS):
    """The institution's figures over the last `months` months of the digests.

    The window ends with the month of the newest published paper of the site (an archive of old
    digests shows its own last two years, not empty months up to today), and never after today.
    """
    newest = Paper.objects.published().aggregate(newest=Max("listed_on"))["newest"]
    partners = _co_affiliations(institution, co_affiliations)
    if newest is None:
        return InstitutionStats(None, None, [], [], 0, None, None, partners)
    window = month_window(min(newest, timezone.localdate()), months)
    # A digest may be dated tomorrow (papers.importing): into next month, it waits for next month's chart.
    after = month_window(window[-1].replace(day=28) + datetime.timedelta(days=4), 1)[0]
    # By day, not by month: a month function is a Python function per row on SQLite (TruncMonth),
    # and a day has few enough (area, day) groups (at most areas × 730) to add up here.
    grouped = (
        Paper.objects.published()
        .filter(affiliations__institution=institution, listed_on__gte=window[0], listed_on__lt=after)
        .values("listed_on", "area__code", "area__name_en", "area__name_zh")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts, areas = {}, {}
    for row in grouped:
        month, code = row["listed_on"].replace(day=1), row["area__code"]
        counts[(month, code)] = counts.get((month, code), 0) + row["n"]
        areas.setdefault(code, (row["area__name_en"] or "", row["area__name_zh"] or ""))
    # Areas in code order, papers without an area last; the colours follow this order.
    codes = sorted(areas, key=lambda code: (code is None, code or ""))
    series = [
        AreaSeries(code, *areas[code], sum(n for (m, c), n in counts.items() if c == code)) for code in codes
    ]
    rows = [
        MonthRow(month, counts_row := [counts.get((month, code), 0) for code in codes], sum(counts_row))
        for month in window
    ]
    total = sum(row.total for row in rows)
    busiest = max(rows, key=lambda row: row.total) if total else None
    chart = charts.stacked_bars(window, codes, counts) if total else None
    return InstitutionStats(window[0], window[-1], series, rows, total, busiest, chart, partners)


def _co_affiliations(institution, limit):
    """The institutions listed most often on the same published papers, with how many papers.

    Counted by id and named in a second query: naming each of the joined rows would cost a lookup per
    co-affiliation of every paper (at the largest institution of the benchmark corpus, 80,000)."""
    top = list(
        Affiliation.objects.filter(paper__is_published=True, paper__affiliations__institution=institution)
        .exclude(institution=institution)
        .values_list("institution_id")
        .annotate(n=Count("paper_id"))
        .order_by("-n", "institution_id")[:limit]
    )
    if not top:
        return []
    names = {
        row.pk: row for row in Institution.objects.filter(pk__in=[pk for pk, _n in top]).only("name", "slug")
    }
    partners = [CoAffiliation(names[pk].name, names[pk].slug, n) for pk, n in top]
    return sorted(partners, key=lambda partner: (-partner.papers, partner.name))
