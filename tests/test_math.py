"""Formulas in titles and texts: what counts as one (papers.math), the MathML it becomes (parsed here
as XML, with only allowed elements and attributes), and the pages, searches and feeds that show it."""

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import feedparser
import pytest
from django.template import Context, Template

from papers import math, search
from papers.importing import import_digest
from papers.math import Formula, segments, to_html
from papers.models import Paper

from .builders import Entry, daily_digest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MATH = re.compile(r"<math [^>]*>.*?</math>", re.S)


def formulas(text):
    return [(part.latex, part.display) for part in segments(text) if isinstance(part, Formula)]


def plain(text):
    return "".join(part for part in segments(text) if isinstance(part, str))


# --- what is a formula ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,found",
    [
        (r"with $\ell_1$ and $\ell_2$-based", [(r"\ell_1", False), (r"\ell_2", False)]),
        (r"$$\sum_i x_i$$ and $x$", [(r"\sum_i x_i", True), ("x", False)]),
        # Machine translation's breakage, repaired where one reading is possible.
        (r"数为$ \ times $倍", [(r"\times", False)]),
        (r"的$ \ rm r^2> 0.99 $的", [(r"\rm r^2> 0.99", False)]),
        (r"$ x $", [("x", False)]),
        # `\ ` is LaTeX's space when what follows is no command: left as written.
        (r"$a\ b$", [(r"a\ b", False)]),
        (r"$\ notacommand x$", [(r"\ notacommand x", False)]),
    ],
)
def test_formulas_are_found_and_repaired(text, found):
    assert formulas(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "costs $5 and $6 a month",
        "between $5 and $ 10",
        "from $10 million to $20 million",
        "a lone $ sign",
        "an empty $$ pair and $ $",
        r"escaped \$x\$ dollars",
        "prose $ between two stray dollars $ here",
        "$x\ny$ across lines",
        "$" + "x" * 500 + "$",
    ],
)
def test_what_is_not_a_formula_stays_text(text):
    assert formulas(text) == []
    assert plain(text) == text.replace("\\$", "$")


def test_the_seed_formulas_render_and_the_mangled_one_shows_as_written():
    text = next(
        line for line in (SEEDS / "003_534fdd139920522d.txt").read_text().splitlines() if "rm r^2" in line
    )
    html = to_html(text)
    assert html.count("<math ") == 1  # `$ \ rm r^2> 0.99 $`, repaired
    assert 'alttext="\\rm r^2&gt; 0.99"' in html
    # `$ \ rm rm r^2>>实验测试集0.94 $` has Chinese inside: translation mangled it, so it shows as written.
    assert "$ \\ rm rm r^2&gt;&gt;实验测试集0.94 $" in html
    assert "0.124 \\%" in html  # no formula, untouched


# --- the MathML -------------------------------------------------------------------------------


def parsed(html):
    return ElementTree.fromstring(html)


def test_a_formula_becomes_mathml_with_its_source_as_alttext():
    html = to_html(r"with $\ell_1$ regularisation")
    assert html.startswith("with <math ") and html.endswith("</math> regularisation")
    tree = parsed(MATH.search(html).group())
    assert tree.get("alttext") == r"\ell_1" and tree.get("display") == "inline"
    assert [e.tag.split("}")[1] for e in tree.iter()] == ["math", "mrow", "msub", "mi", "mn"]
    assert [e.text for e in tree.iter() if e.text] == ["ℓ", "1"]
    assert parsed(to_html("$$x$$")).get("display") == "block"


def every_element_and_attribute(html):
    for match in MATH.finditer(html):
        for element in parsed(match.group()).iter():
            yield element.tag.split("}")[1], dict(element.attrib)


@pytest.mark.parametrize(
    "formula",
    [
        r"\href{javascript:alert(1)}{x}",
        r"\style{background:url(javascript:alert(1))}{x}",
        r"\color{red}{x}",
        r"\class{evil}{x}",
        r"\text{<img src=x onerror=alert(1)>}",
        r"\text{<b>bold</b>}",
        r"\mbox{</math><script>alert(1)</script>}",
        "<script>alert(1)</script>",
        r"\unknowncommand{x}",
        "x &amp; y < z",
        r"\text{<!DOCTYPE x [<!ENTITY a 'b'>]>}",
    ],
)
def test_hostile_formulas_never_render_markup(formula):
    html = to_html(f"before ${formula}$ after")
    assert html.startswith("before ") and html.endswith(" after")
    outside = MATH.sub("", html)
    assert "<" not in outside.replace("before ", "").replace(" after", "")  # shown as text: escaped
    for tag, attributes in every_element_and_attribute(html):
        assert tag in math.ELEMENTS, tag
        assert set(attributes) <= math.ATTRIBUTES | {"xmlns", "alttext"}, attributes
        assert not any("javascript" in v or "url(" in v for k, v in attributes.items() if k != "alttext")
    assert "<script" not in html and "<img" not in html and "<b>" not in html


def test_a_malformed_formula_shows_its_source_and_the_rest_still_renders():
    html = to_html(r"first $x^$ then $\frac{1}{2}$ and $\sqrt$")
    assert html.startswith("first $x^$ then <math ")
    assert html.count("<math ") == 1 and html.endswith("and $\\sqrt$")


def test_conversion_is_cached_per_formula():
    math.mathml.cache_clear()
    for _ in range(3):
        to_html(r"$\alpha$ and $\alpha$ and $\beta$")
    info = math.mathml.cache_info()
    assert (info.misses, info.hits) == (2, 7)


def test_text_without_a_dollar_takes_no_formula_path():
    math.mathml.cache_clear()
    assert to_html("plain <b> & text") == "plain &lt;b&gt; &amp; text"
    assert math.mathml.cache_info().misses == 0


# --- the template tags ------------------------------------------------------------------------


def render(source, **context):
    return Template("{% load highlight %}" + source).render(Context(context))


def test_the_math_filter_escapes_text_and_renders_formulas():
    assert render("{{ t|math }}", t="<i>x</i> $y$").startswith("&lt;i&gt;x&lt;/i&gt; <math ")
    assert render("{{ t|math }}", t="<i>no formula</i>") == "&lt;i&gt;no formula&lt;/i&gt;"
    assert render("{{ t|math }}", t=None) == ""


def test_search_marks_the_text_around_formulas_not_inside_them():
    query = search.parse("sparse ell")
    html = render("{% highlight t %}", t=r"Sparse $\ell_1$ models, ell", search_query=query)
    assert html.startswith("<mark>Sparse</mark> <math ") and html.endswith("models, <mark>ell</mark>")
    assert "<mark>" not in MATH.search(html).group()
    # A text without formulas is marked exactly as before.
    assert render("{% highlight t %}", t="Sparse models", search_query=query) == search.highlight(
        "Sparse models", query
    )


def test_a_snippet_never_starts_inside_a_formula():
    query = search.parse("target")
    text = (
        "word " * 20
        + r"$\frac{a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p}{2}$"
        + " target"
    )
    html = render("{% snippet t %}", t=text, search_query=query)
    assert html.startswith("…<math ") and html.endswith(" <mark>target</mark>")
    assert render("{% snippet t %}", t="word " * 40 + "target", search_query=query) == search.snippet(
        "word " * 40 + "target", query
    )


# --- pages, search and feeds ------------------------------------------------------------------


@pytest.fixture
def with_math(db):
    entry = Entry(
        r"Sparse $\ell_1$ Models",
        "2301.00020",
        abstract_en=r"We bound $\|x\|_1$ and $x^$ while $\text{<script>alert(1)</script>}$ stays text.",
        summary_zh=r"本文研究稀疏$\ell_1$模型，系数$ \ times $倍。",
    )
    assert not import_digest(daily_digest([entry]), name="2026-01-01.txt").failed
    return Paper.objects.get()


@pytest.mark.django_db
def test_the_paper_page_shows_mathml_and_malformed_formulas_as_text(client, with_math):
    html = client.get(with_math.get_absolute_url()).text
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline" alttext="\\ell_1">' in html
    assert 'alttext="\\times"' in html  # the summary's `$ \ times $`, repaired
    assert "$x^$" in html  # malformed: its text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>Sparse $\\ell_1$ Models" in html  # a page title holds no markup: the source


@pytest.mark.django_db
def test_list_pages_and_searches_render_formulas(client, with_math):
    assert 'alttext="\\ell_1"' in client.get("/").text
    response = client.get("/search/", {"q": "sparse"})
    assert "<mark>Sparse</mark> <math " in response.text
    assert [p.pk for p in response.context["page"]] == [with_math.pk]


@pytest.mark.django_db
def test_search_indexes_and_feeds_carry_the_source_text(client, with_math):
    assert [p.pk for p in search.search(Paper.objects.all(), search.parse("ell_1"))] == [with_math.pk]
    entry = feedparser.parse(client.get("/feeds/latest.rss").content).entries[0]
    assert entry.title == "Sparse $\\ell_1$ Models / 中文标题"
    assert "We bound $\\|x\\|_1$" in entry.description and "<math" not in entry.description
