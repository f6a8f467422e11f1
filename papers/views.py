"""Pages: each names what it shows and renders it; list pages read a Listing (papers.listing)."""

import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from . import citations, visits
from .cleaning import strip_control_characters
from .downloads import EXPORT_LIMIT, citation_response, digest_papers, download_urls, record
from .institution_stats import institution_figures
from .listing import feed_urls, listed_papers, paper_listing
from .models import Area, Author, Digest, DigestEntry, Institution, Paper, PaperCount, ReferenceCountry
from .pagecache import versioned

# Every list page takes `fmt` ("bib", "ris") from its download URL (<page>papers.<fmt>, papers.urls):
# the download is then the page's own selection, found by the same lookups, as a file.


def paper_list(request, fmt=None):
    return render_paper_list(request, heading=_("Latest papers"), fmt=fmt)


def search(request, fmt=None):
    """/search/?q=…: the paper list with a search form, and help on what can be searched when q is empty."""
    return render_paper_list(
        request, heading=_("Search"), list_url=reverse("papers:search"), search_page=True, fmt=fmt
    )


def area_detail(request, code, fmt=None):
    area = get_object_or_404(Area, code=code.upper())
    if code != area.code and fmt is None:
        return redirect(area, permanent=True)
    return render_paper_list(
        request, fixed={"area": [area.code]}, feed=("area", area.code), heading=area, area=area, fmt=fmt
    )


def institution_detail(request, slug, fmt=None):
    # With its aliases and country (three queries), once per site version.
    named = "institution-page:" + hashlib.sha256(slug.encode()).hexdigest()  # any length, any character
    institution, country = versioned(named, lambda: _institution_for_page(slug))
    if institution is None:
        raise Http404("No such institution.")
    if institution.merged_into_id:
        # Old URLs of a merged institution keep working (a download serves the kept one's papers).
        if fmt is None:
            return redirect(institution.canonical(), permanent=True)
        institution = institution.canonical()
    # The figures head the first page only (and no download); later pages are for reading further down.
    first_page = fmt is None and request.GET.get("page") in (None, "", "1")
    return render_paper_list(
        request,
        fixed={"institution": [institution.slug]},
        feed=("institution", institution.slug),
        heading=institution,
        institution=institution,
        institution_country=country,
        institution_figures=institution_figures(institution, request) if first_page else None,
        fmt=fmt,
    )


def _institution_for_page(slug):
    institution = Institution.objects.prefetch_related("aliases").filter(slug=slug).first()
    if institution is None or not institution.country:
        return institution, None
    return institution, ReferenceCountry.objects.filter(code=institution.country).first()


def author_detail(request, slug, fmt=None):
    author = get_object_or_404(Author, slug=slug)
    if author.merged_into_id:
        if fmt is None:
            return redirect(author.canonical(), permanent=True)
        author = author.canonical()
    return render_paper_list(
        request,
        fixed={"author": author.slug},
        feed=("author", author.slug),
        heading=author,
        author=author,
        fmt=fmt,
    )


def render_paper_list(
    request, *, fixed=None, feed=("latest", None), heading, list_url=None, fmt=None, **context
):
    """The paper list behind /, the facet pages and search; `fixed` and `feed` as in paper_listing().

    With `fmt`, the download of all the page's papers instead (papers.downloads).
    """
    if fmt is not None:
        name = "-".join(str(part) for part in ("papers", *feed) if part is not None)
        return citation_response(request, listed_papers(request.GET, fixed=fixed), fmt, name)
    listing = paper_listing(
        request.GET,
        fixed=fixed,
        list_url=list_url or reverse("papers:list"),
        feed=feed,
        title=heading,
        previous_visit=visits.previous_visit(request),
    )
    if isinstance(listing, Paper):
        return redirect(listing)
    context["visits_on"] = visits.read(request) is not None
    downloads = download_urls(
        request.path, {k: v for k, v in listing.query.items() if k not in (fixed or {})}
    )
    return render(
        request,
        "papers/paper_list.html",
        {
            **context,
            "heading": heading,
            **listing.context(),
            "downloads": downloads,
            "export_limit": EXPORT_LIMIT,
        },
    )


def paper_detail(request, pk):
    # Read whole (its people, digests and links: six queries, most of the page's time) once per site version.
    paper = versioned(f"paper-page:{pk}", lambda: _paper_for_page(pk))
    if paper is None:
        raise Http404("No such paper.")
    cited = record(paper, request)
    context = {
        "paper": paper,
        # A snippet to paste, so without the abstract the page shows anyway; only papers on arXiv.
        "bibtex": citations.bibtex_entry(cited, abstract=False) if paper.arxiv_id else None,
        "citation_tags": citations.highwire_tags(cited),
    }
    return render(request, "papers/paper_detail.html", context)


def _paper_for_page(pk):
    return (
        Paper.objects.published()
        .for_cards()
        .prefetch_related(
            Prefetch(
                "entries", queryset=DigestEntry.objects.select_related("digest").order_by("digest__name")
            ),
            "links",
        )
        .filter(pk=pk)
        .first()
    )


def institution_list(request):
    page = Paginator(institutions_with_counts(), 100).get_page(request.GET.get("page"))
    return render(request, "papers/institution_list.html", {"page": page})


def digest_list(request):
    page = Paginator(Digest.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "papers/digest_list.html", {"page": page})


def digest_detail(request, pk, fmt=None):
    digest = get_object_or_404(Digest, pk=pk)
    if fmt is not None:
        return citation_response(request, digest_papers(digest), fmt, f"digest-{digest.pk}")
    entries = (
        digest.entries.filter(paper__is_published=True)
        .prefetch_related(Prefetch("paper", queryset=Paper.objects.for_cards()))
        .order_by("position")
    )
    context = {
        "digest": digest,
        "entries": entries,
        "feeds": feed_urls("digest", digest.pk, query={}, title=digest.name),
        "downloads": download_urls(request.path, {}),
        "export_limit": EXPORT_LIMIT,
    }
    return render(request, "papers/digest_detail.html", context)


def institutions_with_counts():
    """Canonical institutions with published papers, most first, each with its count `n`: summed from
    models.PaperCount (a few rows an institution), not counted from its affiliations, which grew with
    the corpus (320 ms for /institutions/ at 100,000 papers)."""
    totals = (
        PaperCount.objects.filter(institution_id=OuterRef("pk"))
        .values("institution_id")
        .annotate(total=Sum("n"))
        .values("total")
    )
    return Institution.objects.canonical().annotate(n=Subquery(totals)).filter(n__gt=0).order_by("-n", "name")


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
