"""Citation downloads: any selection of papers as a BibTeX or RIS file, and the records behind them.

`citation_response(request, papers, fmt, filename)` is the one entry point. List pages and digests
call it with what they show (`listing.listed_papers`, `digest_papers`); another app (reading
lists) calls it with its own queryset, in its own order. The writers are papers.citations (pure).

A download is an anonymous GET answered with a plain 200 and no cookie, so the page cache keeps it
and the site version retires it like any page; its bytes depend only on the papers and the URL (no
clock), so a proxy may keep it too.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from . import citations
from .listing import with_query
from .models import DigestEntry, Paper

# A download holds at most this many papers (the first ones, in the page's order); pages say so.
EXPORT_LIMIT = 500


@dataclass(frozen=True)
class Format:
    write: object  # (records, *, comment) → text
    content_type: str


FORMATS = {
    "bib": Format(citations.bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": Format(citations.ris, "application/x-research-info-systems; charset=utf-8"),
}


def record(paper, request):
    """A Paper (read through for_cards(), or its authors cost a query) as a citations.Record."""
    return citations.Record(
        key=f"arxiv:{paper.arxiv_id}" if paper.arxiv_id else f"paper:{paper.pk}",
        # An untitled paper keeps the marked stand-in its feed items have, never a made-up title.
        title=paper.title_en or paper.title_zh or paper.bilingual_title,
        title_zh=paper.title_zh if paper.title_en else None,
        authors=tuple(a.name for a in paper.ordered_authors()),
        authors_truncated=paper.authors_truncated,
        arxiv_id=paper.arxiv_id,
        primary_class=citations.ARXIV_CLASSES.get(paper.area.code) if paper.area else None,
        listed_on=paper.listed_on,
        abstract=paper.abstract_en,
        page_url=request.build_absolute_uri(paper.get_absolute_url()),
        abs_url=paper.arxiv_abs_url,
        pdf_url=paper.arxiv_pdf_url,
    )


def citation_response(request, papers, fmt, filename):
    """`papers` (a Paper queryset, in the order to write them) as a BibTeX ("bib") or RIS ("ris")
    attachment named `filename` + its extension.

    Published papers only, at most EXPORT_LIMIT of them (the file says so when there were more), in
    a constant number of queries whatever their number.
    """
    kind = FORMATS[fmt]
    rows = list(papers.published().for_cards()[: EXPORT_LIMIT + 1])
    records = [record(paper, request) for paper in rows[:EXPORT_LIMIT]]
    comment = f"{len(records)} papers from {settings.PORTAL_NAME}, {request.build_absolute_uri()}"
    if len(rows) > EXPORT_LIMIT:
        comment += (
            f"\nThis selection has more than {EXPORT_LIMIT} papers: this file holds the first "
            f"{EXPORT_LIMIT}, in the page's order. Narrow the selection (a filter, a search) for the rest."
        )
    response = HttpResponse(kind.write(records, comment=comment), content_type=kind.content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    return response


def download_urls(page_path, query):
    """The .bib and .ris URLs of a page's selection: its path + papers.<format>, with its query."""
    return {fmt: with_query(f"{page_path}papers.{fmt}", query) for fmt in FORMATS}


def digest_papers(digest):
    """A digest's papers in the order its page prints them (by position; a paper printed twice
    comes where it first appears)."""
    first = DigestEntry.objects.filter(digest=digest, paper=OuterRef("pk")).order_by("position")
    return (
        Paper.objects.filter(pk__in=DigestEntry.objects.filter(digest=digest).values("paper_id"))
        .annotate(digest_position=Subquery(first.values("position")[:1]))
        .order_by("digest_position", "pk")
    )
