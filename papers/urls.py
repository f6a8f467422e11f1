from django.urls import path

from . import converters, views, visits  # noqa: F401  (importing converters registers area_code, unicode_slug, row_id)
from .feeds import PaperAtomFeed, PaperFeed

rss, atom = PaperFeed(), PaperAtomFeed()

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
    path("visits/remember/", visits.remember, name="visits_remember"),
    path("visits/forget/", visits.forget, name="visits_forget"),
    path("feeds/", views.feed_index, name="feeds"),
    path("feeds/subscriptions.opml", views.feed_opml, name="feeds_opml"),
    path("feeds/latest.rss", rss, name="latest_rss"),
    path("feeds/latest.atom", atom, name="latest_atom"),
    path("areas/<area_code:key>/feed.rss", rss, {"kind": "area"}, name="area_rss"),
    path("areas/<area_code:key>/feed.atom", atom, {"kind": "area"}, name="area_atom"),
    path("institutions/<unicode_slug:key>/feed.rss", rss, {"kind": "institution"}, name="institution_rss"),
    path("institutions/<unicode_slug:key>/feed.atom", atom, {"kind": "institution"}, name="institution_atom"),
    path("authors/<unicode_slug:key>/feed.rss", rss, {"kind": "author"}, name="author_rss"),
    path("authors/<unicode_slug:key>/feed.atom", atom, {"kind": "author"}, name="author_atom"),
    path("digests/<row_id:key>/feed.rss", rss, {"kind": "digest"}, name="digest_rss"),
    path("digests/<row_id:key>/feed.atom", atom, {"kind": "digest"}, name="digest_atom"),
]
