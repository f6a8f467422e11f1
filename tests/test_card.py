"""A paper card in the reader's language: its words translated once a page, its texts in order."""

import re

import pytest

from papers.importing import import_digest

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(db):
    entries = [
        Entry(f"Paper number {n}", arxiv_id=f"2301.{n:05d}", authors=[f"Writer {n}", "B Writer"])
        for n in range(1, 4)
    ]
    import_digest(daily_digest(entries), name="001_cards.txt")


def cards(text):
    return re.findall(r'<article class="paper-card".*?</article>', text, re.S)


@pytest.mark.parametrize(
    ("accept", "first", "words"),
    [
        (
            "en",
            "text-en",
            ["English", "Chinese", "Read both texts in full", "Save to reading list", "Authors:"],
        ),  # noqa: E501
        ("zh-CN", "text-zh", ["英文", "中文", "阅读中英文全文", "保存到阅读清单", "作者:"]),
    ],
)
def test_every_card_speaks_the_page_language(client, papers, accept, first, words):
    found = cards(client.get("/", HTTP_ACCEPT_LANGUAGE=accept).text)
    assert len(found) == 3
    other = "text-zh" if first == "text-en" else "text-en"
    for card in found:
        assert card.index(first) < card.index(other)
        for word in words:
            assert word in card, word


def test_a_language_switch_between_pages_is_not_carried_over(client, papers):
    # The labels are read when a page renders, never kept from the page before.
    assert "保存到阅读清单" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").text
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "保存到阅读清单" not in english and "Save to reading list" in english
