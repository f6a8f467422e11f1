from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .models import Area, Author, Digest, Institution, Paper


def paper_list(request):
    papers = Paper.objects.published().with_listing().newest_first()
    page = Paginator(papers, 25, orphans=3).get_page(request.GET.get("page"))
    return render(request, "papers/paper_list.html", {"page": page})


def paper_detail(request, pk):
    paper = get_object_or_404(Paper.objects.published().with_listing(), pk=pk)
    return render(request, "papers/paper_detail.html", {"paper": paper})


def area_detail(request, code):
    get_object_or_404(Area, code=code)
    return paper_list(request)


def institution_detail(request, slug):
    get_object_or_404(Institution, slug=slug)
    return paper_list(request)


def author_detail(request, slug):
    get_object_or_404(Author, slug=slug)
    return paper_list(request)


def digest_detail(request, pk):
    get_object_or_404(Digest, pk=pk)
    return paper_list(request)
