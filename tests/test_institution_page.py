"""An institution's page: its papers per area and month as an SVG chart with a table, its co-affiliations."""

import datetime
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import charts
from papers.importing import import_digest
from papers.institution_stats import cached_institution_stats, institution_stats, month_window
from papers.models import Institution, Paper

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db


# --- the chart's geometry (pure) --------------------------------------------------------------


def test_nice_ceiling_rounds_up_to_round_steps():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 4, 5, 9, 17, 40, 41, 230, 999)] == [
        4, 4, 4, 4, 8, 20, 20, 40, 80, 400, 1000,
    ]  # fmt: skip
    for value in range(1, 3000, 7):
        top = charts.nice_ceiling(value)
        step = top // 4
        assert top >= value and top * 4 // 4 == top
        assert re.fullmatch(r"(1|2|25|5)0*", str(step)), (value, top)


def test_stacked_bars_are_proportional_and_stack_from_the_baseline():
    chart = charts.stacked_bars(
        ["jan", "feb", "mar"],
        ["LG", "CV"],
        {("jan", "LG"): 2, ("jan", "CV"): 6, ("mar", "CV"): 4},
        width=330,
        height=130,
        left=30,
        top=10,
        bottom=20,
        gap=0,
        label_every=2,
    )
    assert chart.scale_max == 8 and chart.bottom == 110  # plot 100 high: 12.5 per paper
    assert [(b.column, b.series, b.count) for b in chart.bars] == [(0, 0, 2), (0, 1, 6), (2, 1, 4)]
    lg, cv, march = chart.bars
    assert (lg.x, lg.width, lg.y, lg.height) == (30, 99.7, 85, 25)  # (330 - 30 - 1) / 3 wide
    assert (cv.y, cv.height) == (10, 75) and cv.y + cv.height == lg.y  # on top of LG, up to the top
    assert (march.y, march.height) == (60, 50) and march.x == 229.3
    assert [(t.value, t.y) for t in chart.ticks] == [(0, 110), (2, 85), (4, 60), (6, 35), (8, 10)]
    assert [(label.key, label.x) for label in chart.labels] == [("jan", 79.8), ("mar", 279.2)]


def test_an_empty_chart_has_no_bars_and_an_axis():
    chart = charts.stacked_bars(["a", "b"], ["LG"], {})
    assert chart.bars == [] and chart.scale_max == 4 and len(chart.ticks) == 5


def test_month_window_crosses_years():
    window = month_window(datetime.date(2023, 2, 17), 4)
    assert window == [datetime.date(2022, 11, 1), datetime.date(2022, 12, 1), datetime.date(2023, 1, 1),
                      datetime.date(2023, 2, 1)]  # fmt: skip
    assert len(month_window(datetime.date(2023, 2, 17))) == 24


# --- the selector ------------------------------------------------------------------------------


@pytest.fixture
def months():
    """Papers of "Lab" over three years: two digests in range, one older than the window, a hidden one."""
    digests = [
        ("2020-12-01.txt", [Entry("Too old", "2012.00001", institutions=["Lab"])]),
        (
            "2022-03-10.txt",
            [
                Entry("March LG", "2203.00001", area="LG", institutions=["Lab", "Partner"]),
                Entry("March CV", "2203.00002", area="CV", institutions=["Lab"]),
                Entry("Hidden", "2203.00003", area="CV", institutions=["Lab", "Partner"]),
            ],
        ),
        (
            "2023-01-20.txt",
            [
                Entry("January CV 1", "2301.00001", area="CV", institutions=["Partner", "Lab", "Other"]),
                Entry("January CV 2", "2301.00002", area="CV", institutions=["Lab"]),
                Entry("Elsewhere", "2301.00003", area="LG", institutions=["Other"]),
            ],
        ),
    ]
    for name, entries in digests:
        import_digest(daily_digest(entries), name=name)
    Paper.objects.filter(arxiv_id="2203.00003").update(is_published=False)
    return Institution.objects.get(name="Lab")


def test_counts_per_area_and_month_over_the_last_two_years_of_the_digests(months):
    stats = institution_stats(months)
    # The window ends with the newest digest's month, not today's.
    assert (stats.first_month, stats.last_month) == (datetime.date(2021, 2, 1), datetime.date(2023, 1, 1))
    assert len(stats.rows) == 24 and stats.total == 4  # "Too old" and "Hidden" are out
    assert [(s.code, s.total) for s in stats.series] == [("CV", 3), ("LG", 1)]
    by_month = {row.month: (row.counts, row.total) for row in stats.rows if row.total}
    assert by_month == {datetime.date(2022, 3, 1): ([1, 1], 2), datetime.date(2023, 1, 1): ([2, 0], 2)}
    assert stats.busiest.month == datetime.date(2022, 3, 1)
    assert sum(bar.count for bar in stats.chart.bars) == 4


def test_co_affiliations_are_counted_on_published_papers(months):
    stats = institution_stats(months)
    assert [(p.name, p.papers) for p in stats.co_affiliations] == [("Other", 1), ("Partner", 2)][::-1]
    assert (
        stats.co_affiliations[0].get_absolute_url()
        == Institution.objects.get(name="Partner").get_absolute_url()
    )


def test_the_figures_take_four_queries_whatever_the_papers(months, django_assert_num_queries):
    with django_assert_num_queries(4):
        institution_stats(months)
    import_digest(
        daily_digest(
            [
                Entry(f"More {i}", f"2301.{i + 100:05d}", area="RO", institutions=["Lab", f"P{i}"])
                for i in range(40)
            ]
        ),
        name="2023-01-21.txt",
    )
    with django_assert_num_queries(4):
        assert institution_stats(months).total == 44


# --- the page ----------------------------------------------------------------------------------


def test_the_page_draws_the_chart_with_a_text_alternative_and_keeps_its_feed(client, months):
    response = client.get(months.get_absolute_url())
    assert response.status_code == 200
    page = response.text
    svg = page[page.index('<svg class="chart-svg"') : page.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="activity-title activity-desc"' in svg
    assert (
        '<title id="activity-title">Papers of Lab per area and month, February 2021 to January 2023</title>'
        in svg
    )
    assert "4 papers in these 24 months. Most in March 2022: 2." in svg
    assert svg.count("<rect ") == 3  # March LG, March CV, January CV
    assert "<script" not in page.split("<main")[1].split("</main>")[0]  # no JavaScript
    table = page[page.index("<table>") : page.index("</table>")]
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>((?:<td>\d+</td>)+)</tr>", table)
    assert len(rows) == 24
    assert ("March 2022", "<td>1</td><td>1</td><td>2</td>") in rows
    assert ("January 2023", "<td>2</td><td>0</td><td>2</td>") in rows
    partner = Institution.objects.get(name="Partner")
    assert re.search(rf'href="{partner.get_absolute_url()}">Partner <span class="count">2<', page)
    assert f'href="{months.get_absolute_url()}feed.rss"' in page
    # Later pages are for reading on: no figures there.
    assert 'class="chart-svg"' not in client.get(months.get_absolute_url() + "?page=2").text


def test_the_page_speaks_chinese(client, months):
    page = client.get(months.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "每月各领域论文数" in page and "2023年1月" in page and "常一起出现的机构" in page


def test_an_institution_without_recent_papers_says_so(client, months):
    old = Institution.objects.create(name="Old Lab")
    Paper.objects.get(arxiv_id="2012.00001").affiliations.update(institution=old)
    page = client.get(old.get_absolute_url()).text
    assert "No papers in the last two years of the digests." in page and "<svg" not in page


def test_a_hostile_name_stays_text_in_the_svg_the_table_and_the_links(client):
    hostile = '<script>alert("x")</script> Lab'
    import_digest(
        daily_digest([Entry("P", "2301.00009", institutions=[hostile, "<img src=x onerror=alert(1)>"])]),
        name="2023-01-05.txt",
    )
    for institution in Institution.objects.all():
        page = client.get(institution.get_absolute_url()).text
        assert "<script>alert" not in page and "<img src=x" not in page
    page = client.get(Institution.objects.get(name=hostile).get_absolute_url()).text
    title = re.search(r'<title id="activity-title">(.*?)</title>', page).group(1)
    assert unescape(title).startswith(f"Papers of {hostile} per area")
    assert "&lt;script&gt;" in page.split("<caption>")[1].split("</caption>")[0]
    assert "&lt;img src=x onerror=alert(1)&gt; <span" in page  # the co-affiliation chip


def test_the_page_stays_cacheable(client, months):
    response = client.get(months.get_absolute_url())
    assert not response.cookies and "csrfmiddlewaretoken" not in response.text
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("papers", [20, 80])
def test_the_page_adds_four_queries_to_a_list_page(client, papers):
    entries = [
        Entry(f"P{i}", f"2302.{i:05d}", institutions=["Lab", f"Partner {i % 7}"]) for i in range(papers)
    ]
    import_digest(daily_digest(entries), name="a.txt")
    lab = Institution.objects.get(name="Lab")
    with CaptureQueriesContext(connection) as first_page:
        assert client.get(lab.get_absolute_url()).status_code == 200
    cache.clear()  # the facet caches too: both pages read cold
    with CaptureQueriesContext(connection) as later_page:
        assert client.get(lab.get_absolute_url() + "?page=2").status_code == 200
    # The four reads; the site version is the one the request read already (papers.pagecache).
    assert len(first_page) == len(later_page) + 4 <= 16


def test_kept_figures_change_with_any_write(months, django_assert_num_queries):
    assert cached_institution_stats(months).total == 4
    with django_assert_num_queries(1):
        assert cached_institution_stats(months).total == 4
    import_digest(
        daily_digest([Entry("New", "2301.00077", area="RO", institutions=["Lab"])]), name="2023-01-22.txt"
    )
    assert cached_institution_stats(months).total == 5
    Paper.objects.filter(arxiv_id="2301.00077").update(is_published=False)  # a bulk write moves it too
    assert cached_institution_stats(months).total == 4


def test_the_window_ends_today_when_a_digest_is_dated_ahead(months, monkeypatch):
    import_digest(
        daily_digest([Entry("Ahead", "2302.00077", area="RO", institutions=["Lab"])]), name="2023-02-01.txt"
    )
    monkeypatch.setattr("papers.institution_stats.timezone.localdate", lambda: datetime.date(2023, 1, 31))
    stats = institution_stats(months)
    assert stats.last_month == datetime.date(2023, 1, 1)
    # Tomorrow's paper is in next month's chart, in neither the table nor the legend's totals yet.
    assert stats.total == sum(s.total for s in stats.series) == 4
