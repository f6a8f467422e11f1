from django.urls import path

from . import views

app_name = "papers"

urlpatterns = [
    path("", views.paper_list, name="list"),
    path("papers/<int:pk>/", views.paper_detail, name="paper"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<str:slug>/", views.institution_detail, name="institution"),
    path("authors/<str:slug>/", views.author_detail, name="author"),
    path("digests/", views.digest_list, name="digests"),
    path("digests/<int:pk>/", views.digest_detail, name="digest"),
]
