"""A reading list's RSS and Atom feeds: papers.feeds' feeds, with the list's papers, last saved first.

The papers are the items papers.feeds makes (same ids, titles, texts, XML-safe values); only the
selection and the dates differ: an item's date is when it was saved, so a subscriber sees each
addition as new. The conditional GET is papers.feeds.conditional's, with validators that move with
any change to the list (its `updated_at`) or to one of its papers.
"""

from dataclasses import replace

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse

from papers.feeds import MAX_ITEMS, PaperFeed, StableAtomFeed, conditional, feed_entries

from . import selectors
from .caching import NO_STORE


class _ListValidators:
    def __init__(self, reading_list):
        self.reading_list = reading_list

    def validators(self):
        return {"newest": selectors.newest_change(self.reading_list)}


class ReadingListFeed(PaperFeed):
    def __call__(self, request, token):
        reading_list = selectors.list_for_view(token)
        if reading_list is None:
            raise Http404("no such reading list")
        reading_list.view_token = token  # not stored (see readinglists.tokens); the feed links to its page
        response = conditional(
            request,
            _ListValidators(reading_list),
            lambda: Feed.__call__(self, request, reading_list=reading_list),
        )
        # Not papers.feeds' `public`: a list changes without moving the site version the page cache
        # keys on, so neither it nor a proxy may keep the feed. Feed readers still get their 304s.
        response["Cache-Control"] = NO_STORE
        return response

    def get_object(self, request, reading_list):
        return reading_list

    def title(self, reading_list):
        # Feeds are read in either language (as papers.feeds' titles are): an unnamed list says so in both.
        return f"{settings.PORTAL_NAME}: {reading_list.name or 'reading list / 阅读清单'}"

    def link(self, reading_list):
        return reverse("readinglists:view", args=[reading_list.view_token])

    def description(self, reading_list):
        return "Papers saved to a reading list / 阅读清单中保存的论文"

    def feed_extra_kwargs(self, reading_list):
        return {"last_modified": selectors.newest_change(reading_list)}

    def entries(self, reading_list, request):
        papers = list(selectors.feed_papers(reading_list, MAX_ITEMS))
        # An item's date is the day it was saved, so a subscriber sees each addition as new.
        return [
            replace(entry, pubdate=paper.saved_at)
            for paper, entry in zip(papers, feed_entries(papers, request), strict=True)
        ]


class ReadingListAtomFeed(ReadingListFeed):
    feed_type = StableAtomFeed

    def subtitle(self, reading_list):
        return self.description(reading_list)
