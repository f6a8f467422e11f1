from django.urls import path

from . import views
from .feeds import PaperAtomFeed, PaperFeed

rss, atom = PaperFeed(), PaperAtomFeed()

app_name = "papers"

urlpatterns = [
    path("", views.paper_list, name="list"),
    path("search/", views.search, name="search"),
    path("papers/<int:pk>/", views.paper_detail, name="paper"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<str:slug>/", views.institution_detail, name="institution"),
    path("authors/<str:slug>/", views.author_detail, name="author"),
    path("digests/", views.digest_list, name="digests"),
    path("digests/<int:pk>/", views.digest_detail, name="digest"),
    path("feeds/", views.feed_index, name="feeds"),
    path("feeds/subscriptions.opml", views.feed_opml, name="feeds_opml"),
    path("feeds/latest.rss", rss, name="latest_rss"),
    path("feeds/latest.atom", atom, name="latest_atom"),
    path("areas/<str:key>/feed.rss", rss, {"kind": "area"}, name="area_rss"),
    path("areas/<str:key>/feed.atom", atom, {"kind": "area"}, name="area_atom"),
    path("institutions/<str:key>/feed.rss", rss, {"kind": "institution"}, name="institution_rss"),
    path("institutions/<str:key>/feed.atom", atom, {"kind": "institution"}, name="institution_atom"),
    path("authors/<str:key>/feed.rss", rss, {"kind": "author"}, name="author_rss"),
    path("authors/<str:key>/feed.atom", atom, {"kind": "author"}, name="author_atom"),
    path("digests/<int:key>/feed.rss", rss, {"kind": "digest"}, name="digest_rss"),
    path("digests/<int:key>/feed.atom", atom, {"kind": "digest"}, name="digest_atom"),
]
