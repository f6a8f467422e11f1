from django.urls import path

from . import converters, views, visits  # noqa: F401  (importing converters registers them)
from .feeds import PaperAtomFeed, PaperFeed, PaperJsonFeed

rss, atom, json_feed = PaperFeed(), PaperAtomFeed(), PaperJsonFeed()

app_name = "papers"

urlpatterns = [
    path("", views.paper_list, name="list"),
    path("search/", views.search, name="search"),
    path("papers/<row_id:pk>/", views.paper_detail, name="paper"),
    path("areas/<area_code:code>/", views.area_detail, name="area"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<unicode_slug:slug>/", views.institution_detail, name="institution"),
    path("authors/<unicode_slug:slug>/", views.author_detail, name="author"),
    path("digests/", views.digest_list, name="digests"),
    path("digests/<row_id:pk>/", views.digest_detail, name="digest"),
    # Each list's .bib and .ris downloads: the page's path + papers.<format>, with the page's query.
    path("papers.<export_format:fmt>", views.paper_list, name="list_export"),
    path("search/papers.<export_format:fmt>", views.search, name="search_export"),
    path("areas/<area_code:code>/papers.<export_format:fmt>", views.area_detail, name="area_export"),
    path(
        "institutions/<unicode_slug:slug>/papers.<export_format:fmt>",
        views.institution_detail,
        name="institution_export",
    ),
    path("authors/<unicode_slug:slug>/papers.<export_format:fmt>", views.author_detail, name="author_export"),
    path("digests/<row_id:pk>/papers.<export_format:fmt>", views.digest_detail, name="digest_export"),
    path("visits/remember/", visits.remember, name="visits_remember"),
    path("visits/forget/", visits.forget, name="visits_forget"),
    path("feeds/", views.feed_index, name="feeds"),
    path("feeds/subscriptions.opml", views.feed_opml, name="feeds_opml"),
    path("feeds/latest.rss", rss, name="latest_rss"),
    path("feeds/latest.atom", atom, name="latest_atom"),
    path("feeds/latest.json", json_feed, name="latest_json"),
    path("areas/<area_code:key>/feed.rss", rss, {"kind": "area"}, name="area_rss"),
    path("areas/<area_code:key>/feed.atom", atom, {"kind": "area"}, name="area_atom"),
    path("areas/<area_code:key>/feed.json", json_feed, {"kind": "area"}, name="area_json"),
    path("institutions/<unicode_slug:key>/feed.rss", rss, {"kind": "institution"}, name="institution_rss"),
    path("institutions/<unicode_slug:key>/feed.atom", atom, {"kind": "institution"}, name="institution_atom"),
    path(
        "institutions/<unicode_slug:key>/feed.json",
        json_feed,
        {"kind": "institution"},
        name="institution_json",
    ),
    path("authors/<unicode_slug:key>/feed.rss", rss, {"kind": "author"}, name="author_rss"),
    path("authors/<unicode_slug:key>/feed.atom", atom, {"kind": "author"}, name="author_atom"),
    path("authors/<unicode_slug:key>/feed.json", json_feed, {"kind": "author"}, name="author_json"),
    path("digests/<row_id:key>/feed.rss", rss, {"kind": "digest"}, name="digest_rss"),
    path("digests/<row_id:key>/feed.atom", atom, {"kind": "digest"}, name="digest_atom"),
    path("digests/<row_id:key>/feed.json", json_feed, {"kind": "digest"}, name="digest_json"),
]
