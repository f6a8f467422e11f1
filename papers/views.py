from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from . import search as full_text
from .cleaning import strip_control_characters
from .filters import PaperFilter, area_facets, institution_facets
from .models import Affiliation, Area, Author, Authorship, Digest, DigestEntry, Institution, Paper
from .search import MAX_QUERY_LENGTH, arxiv_paper
from .search import in_order as search_in_order

PAGE_SIZE = 25


def paper_list(request):
    return render_paper_list(request, heading=_("Latest papers"))


def search(request):
    """/search/?q=…: the paper list with a search form, and help on what can be searched when q is empty."""
    return render_paper_list(
        request, heading=_("Search"), list_url=reverse("papers:search"), search_page=True
    )


def area_detail(request, code):
    area = get_object_or_404(Area, code=code.upper())
    if code != area.code:
        return redirect(area, permanent=True)
    return render_paper_list(
        request, fixed={"area": [area.code]}, feed=("area", area.code), heading=area, area=area
    )


def institution_detail(request, slug):
    institution = get_object_or_404(Institution, slug=slug)
    if institution.merged_into_id:
        # Old URLs of a merged institution keep working.
        return redirect(institution.canonical(), permanent=True)
    return render_paper_list(
        request,
        fixed={"institution": [institution.slug]},
        feed=("institution", institution.slug),
        heading=institution,
        institution=institution,
    )


def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    if author.merged_into_id:
        return redirect(author.canonical(), permanent=True)
    return render_paper_list(
        request, fixed={"author": author.slug}, feed=("author", author.slug), heading=author, author=author
    )


def render_paper_list(
    request,
    *,
    fixed=None,
    feed=("latest", None),
    heading,
    template="papers/paper_list.html",
    list_url=None,
    **context,
):
    """The paper list behind /, the facet pages and their feeds' autodiscovery links.

    `fixed` holds the filter a facet page stands for (its URL), merged over the query string;
    `feed` names the feed that mirrors the page (its kind and key), which keeps the same query.
    """
    data = request.GET.copy()
    for key, value in (fixed or {}).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    filterset = PaperFilter(data, queryset=Paper.objects.published())
    search_query = filterset.search_query()
    if search_query is not None and (paper := arxiv_paper(search_query.text)):
        return redirect(paper)  # an arXiv id (2305.18290, arXiv:…v2, its URL) jumps to the paper
    papers = filterset.qs
    # Area facets count the selection without its area filter (so other areas can be added).
    area_selection = filterset.qs_without("area")
    if search_query is None:
        page = Paginator(papers.newest_first().with_listing(), PAGE_SIZE, orphans=3).get_page(
            request.GET.get("page")
        )
    else:
        # A search is at most RESULT_LIMIT papers ordered by rank (filterset.qs is): their ids in one
        # query, which also counts them, then only the page's papers are read.
        ranked = list(papers.values_list("pk", flat=True))
        page = Paginator(ranked, PAGE_SIZE, orphans=3).get_page(request.GET.get("page"))
        page.object_list = search_in_order(page.object_list)
        # Facets count the results in hand, never search again: grouping the affiliations of a search
        # as a subquery let SQLite's planner scan every affiliation per match (seconds at 36,000
        # papers, 30 s for a long query), where these ids bound the work by RESULT_LIMIT.
        papers = Paper.objects.filter(pk__in=ranked)
        if "area" not in filterset.active():
            area_selection = papers
    query = filterset.query_params()
    problems = filterset.problems()
    list_url = list_url or reverse("papers:list")
    context.update(
        heading=heading,
        page=page,
        filterset=filterset,
        query=query,
        page_query=urlencode(query, doseq=True),
        area_facets=facet_links(
            area_facets(area_selection, filterset.areas),
            "area",
            query,
            key=lambda a: a.code,
            base=list_url,
        ),
        institution_facets=facet_links(
            institution_facets(papers), "institution", query, key=lambda i: i.slug, base=list_url
        ),
        both_toggle_url=toggle_url(query, "both", [] if query.get("both") else ["true"], base=list_url),
        search_query=search_query,
        # The text as typed goes back into the search box, less what no text may hold (a NUL, an ESC…).
        search_text=strip_control_characters(data.get("q", "")),
        search_shown="q" in data,
        problems=problems,
        search_max_length=MAX_QUERY_LENGTH,
        search_limit_reached=search_query is not None and page.paginator.count >= full_text.RESULT_LIMIT,
        search_result_limit=f"{full_text.RESULT_LIMIT:,}",
        feeds=feed_urls(
            *feed, query={k: v for k, v in query.items() if k not in (fixed or {})}, title=heading
        ),
    )
    return render(request, template, context)


def facet_links(items, name, query, *, key, base=None):
    """Each facet item with the URL that adds it to, or removes it from, the current selection."""
    selected = set(query.get(name, []))
    for item in items:
        value = key(item)
        values = [v for v in query.get(name, []) if v != value] if value in selected else [*selected, value]
        item.selected = value in selected
        item.toggle_url = toggle_url(query, name, sorted(values), base=base)
    return items


def toggle_url(query, name, values, *, base=None):
    changed = {k: v for k, v in {**query, name: values}.items() if v}
    return (base or reverse("papers:list")) + ("?" + urlencode(changed, doseq=True) if changed else "")


def feed_urls(kind, key, *, query, title):
    """The RSS and Atom URLs of the feed that shows what the page shows, for autodiscovery links."""
    args = [key] if key is not None else []
    suffix = "?" + urlencode(query, doseq=True) if query else ""
    return {
        "title": str(title),
        "rss": reverse(f"papers:{kind}_rss", args=args) + suffix,
        "atom": reverse(f"papers:{kind}_atom", args=args) + suffix,
    }


def paper_detail(request, pk):
    papers = (
        Paper.objects.published()
        .with_listing()
        .prefetch_related(
            Prefetch(
                "entries", queryset=DigestEntry.objects.select_related("digest").order_by("digest__name")
            )
        )
    )
    paper = get_object_or_404(papers, pk=pk)
    return render(request, "papers/paper_detail.html", {"paper": paper})


def institution_list(request):
    page = Paginator(institutions_with_counts(), 100).get_page(request.GET.get("page"))
    return render(request, "papers/institution_list.html", {"page": page})


def digest_list(request):
    page = Paginator(Digest.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "papers/digest_list.html", {"page": page})


def digest_detail(request, pk):
    digest = get_object_or_404(Digest, pk=pk)
    entries = (
        digest.entries.filter(paper__is_published=True)
        .select_related("paper", "paper__area", "paper__listed_digest")
        .prefetch_related(
            Prefetch("paper__authorships", queryset=Authorship.objects.select_related("author")),
            Prefetch("paper__affiliations", queryset=Affiliation.objects.select_related("institution")),
        )
        .order_by("position")
    )
    feeds = feed_urls("digest", digest.pk, query={}, title=digest.name)
    return render(
        request, "papers/digest_detail.html", {"digest": digest, "entries": entries, "feeds": feeds}
    )


def institutions_with_counts():
    return (
        Institution.objects.canonical()
        .annotate(n=Count("affiliations__paper", filter=Q(affiliations__paper__is_published=True)))
        .filter(n__gt=0)
        .order_by("-n", "name")
    )


def feed_index(request):
    context = {
        "areas": Area.objects.all(),
        "institutions": institutions_with_counts(),
        "feeds": feed_urls("latest", None, query={}, title=_("Latest papers")),
    }
    return render(request, "feeds/index.html", context)


def feed_opml(request):
    context = {
        "areas": Area.objects.all(),
        "institutions": institutions_with_counts(),
        "base": request.build_absolute_uri("/").rstrip("/"),
        "portal_name": settings.PORTAL_NAME,
    }
    # Names stored with a control character would make the whole file invalid XML (see papers.cleaning).
    opml = strip_control_characters(render_to_string("feeds/subscriptions.opml", context, request))
    response = HttpResponse(opml, content_type="text/x-opml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="paper-digests.opml"'
    return response
