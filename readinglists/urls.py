from django.urls import path

from papers import converters as _papers_converters  # noqa: F401  (registers export_format)

from . import converters, views  # noqa: F401  (importing converters registers list_token)
from .feeds import ReadingListAtomFeed, ReadingListFeed

app_name = "readinglists"

urlpatterns = [
    path("", views.my_lists, name="mine"),
    path("save/", views.save, name="save"),
    path("new/", views.new_list, name="new"),
    path("edit/<list_token:token>/", views.edit_list, name="edit"),
    path("<list_token:token>/", views.view_list, name="view"),
    path("<list_token:token>/feed.rss", ReadingListFeed(), name="rss"),
    path("<list_token:token>/feed.atom", ReadingListAtomFeed(), name="atom"),
    path("<list_token:token>/papers.<export_format:fmt>", views.download_list, name="download"),
]
