"""Reads: the list a token opens, the lists a browser remembers, and a list's papers."""

from django.db.models import Count, F, Max, Prefetch

from papers.models import Paper

from . import tokens
from .models import ListItem, ReadingList


def _by_token(token, field):
    """The list whose stored digest is this token's, or None (see readinglists.tokens on timing)."""
    if not tokens.is_token(token):
        return None
    found = ReadingList.objects.filter(**{field: tokens.digest(token)}).first()
    if found is None or not tokens.matches(token, getattr(found, field)):
        return None
    return found


def list_for_edit(edit_token):
    return _by_token(edit_token, "edit_digest")


def list_for_view(view_token):
    return _by_token(view_token, "view_digest")


def remembered_lists(edit_tokens):
    """[(list, edit token)] for the tokens that still open a list, in the order given, each list with
    its number of papers as `n`; one query."""
    by_digest = {tokens.digest(t): t for t in edit_tokens if tokens.is_token(t)}
    lists = ReadingList.objects.filter(edit_digest__in=list(by_digest)).annotate(n=Count("items"))
    found = {rl.edit_digest: rl for rl in lists}
    return [(found[d], t) for d, t in by_digest.items() if d in found]


def papers(reading_list):
    """The list's public papers in the owner's order, as a Paper queryset (its downloads read it)."""
    return (
        Paper.objects.published()
        .filter(reading_list_items__reading_list=reading_list)
        .order_by("reading_list_items__position", "reading_list_items__id")
    )


def items(reading_list, within=None):
    """The list's items whose paper is public, in the owner's order, each paper read for its card;
    with `within` (a Paper queryset: the page's filters over papers()), only the items of those."""
    rows = ListItem.objects.filter(reading_list=reading_list, paper__is_published=True)
    if within is not None:
        rows = rows.filter(paper_id__in=within.order_by().values("pk"))
    cards = Prefetch("paper", queryset=Paper.objects.for_cards())
    return rows.prefetch_related(cards).order_by("position", "id")


def feed_papers(reading_list, limit):
    """The list's public papers, last saved first (what a feed reader shows as new), with `saved_at`."""
    return (
        Paper.objects.published()
        .filter(reading_list_items__reading_list=reading_list)
        .annotate(saved_at=F("reading_list_items__added_at"))
        .for_cards()
        .order_by("-saved_at", "-id")[:limit]
    )


def newest_change(reading_list):
    """When the list, or any paper on it, last changed: a feed's validators (hiding bumps a paper's)."""
    newest = Paper.objects.filter(reading_list_items__reading_list=reading_list).aggregate(
        newest=Max("updated_at")
    )["newest"]
    return max(filter(None, [reading_list.updated_at, newest]))
