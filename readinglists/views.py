"""Reading list pages: the Save control's POST, the owner's page and its forms, the shared page,
and the page of the lists this browser made.

Who may do what is decided by links alone (readinglists.tokens): the view token shows a list, the
edit token changes it; a token that opens nothing is a 404, like any unknown page, so a guess learns
nothing. Every page is private and stored by no cache (readinglists.caching). Every form carries
Django's CSRF token, except Save, whose Origin is checked instead (readinglists.guards). Successful
changes redirect (303) back to the page they came from; refused ones show the page again with the
reason and an error status, and change nothing.
"""

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from papers.downloads import EXPORT_LIMIT, FORMATS, citation_response
from papers.filters import PaperFilter
from papers.listing import selection_facets, with_query
from papers.models import Paper

from . import remembered, selectors, services, tokens
from .caching import private
from .forms import AddForm, MoveForm, NoteForm, RenameForm
from .guards import ADD_PAPERS, CREATE_LISTS, refusal, same_origin_post, throttled
from .models import MAX_NOTE_LENGTH, MAX_PAPERS

PAGE_SIZE = 50


def _row_id(value):
    """A row id from a form field, or None (as papers.converters.RowIdConverter reads a path)."""
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _published_paper(**lookup):
    return Paper.objects.published().filter(**lookup).first()


def _back_to(token, *, page=None, anchor=None, **query):
    params = {k: v for k, v in {"page": _row_id(page), **query}.items() if v not in (None, False)}
    url = reverse("readinglists:edit", args=[token])
    url += f"?{urlencode(params)}" if params else ""
    url += f"#{anchor}" if anchor else ""
    return HttpResponseRedirect(url, status=303)


def _full(request, token):
    message = _(
        "This list already holds %(max)s papers, the most a list can hold. Remove some, or start a new list."
    ) % {"max": f"{MAX_PAPERS:,}"}
    return refusal(request, 409, message, back=reverse("readinglists:edit", args=[token]))


@same_origin_post
@private
def save(request):
    """The Save control of every card and paper page: add the paper to this browser's current list,
    or to a new list if it has none; then show that list to its owner."""
    # Counted first, so a flood costs a cache increment and the refusal, not a query each.
    if limited := throttled(request, ADD_PAPERS):
        return limited
    pk = _row_id(request.POST.get("paper"))
    paper = _published_paper(pk=pk) if pk is not None else None
    if paper is None:
        raise Http404("no such paper")
    current = next(iter(selectors.remembered_lists(remembered.edit_tokens(request))), None)
    if current is None:
        if limited := throttled(request, CREATE_LISTS):
            return limited
        reading_list, token = services.create_list()
    else:
        reading_list, token = current
    try:
        added = services.add_paper(reading_list, paper)
    except services.ListFull:
        return _full(request, token)
    response = _back_to(
        token, saved=paper.pk, already=not added, back=_same_site_path(request, _referer(request))
    )
    remembered.remember(request, response, token)
    return response


def _referer(request):
    parts = urlsplit(request.META.get("HTTP_REFERER", ""))
    return urlunsplit(("", "", parts.path, parts.query, "")) if parts.netloc == request.get_host() else None


def _same_site_path(request, path):
    """A path on this site to go back to (the page a Save came from), or None: never another site."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return None
    return path if url_has_allowed_host_and_scheme(path, {request.get_host()}) else None


@require_POST
@private
def new_list(request):
    """A new, empty list (CSRF-protected form on the owner's pages), which becomes the current one."""
    form = RenameForm(request.POST)
    if not form.is_valid():
        return refusal(request, 400, " ".join(form.errors["name"]))
    if limited := throttled(request, CREATE_LISTS):
        return limited
    _list, token = services.create_list(name=form.cleaned_data["name"])
    response = _back_to(token)
    remembered.remember(request, response, token)
    return response


@require_safe
@private
def my_lists(request):
    """The lists this browser made (its cookie), the current one first; forgets ones that are gone."""
    held = remembered.edit_tokens(request)
    found = selectors.remembered_lists(held)
    rows = [
        {
            "list": reading_list,
            "edit_url": reverse("readinglists:edit", args=[token]),
            "view_url": reverse("readinglists:view", args=[tokens.view_token_for(token)]),
            "current": index == 0,
        }
        for index, (reading_list, token) in enumerate(found)
    ]
    response = render(request, "readinglists/mine.html", {"rows": rows, "deleted": "deleted" in request.GET})
    if len(found) != len(held):
        remembered.forget(request, response, None, keep={token for _list, token in found})
    return response


@require_safe
@private
def view_list(request, token):
    """What a share link shows: the papers as cards, with the owner's notes, without read marks."""
    reading_list = selectors.list_for_view(token)
    if reading_list is None:
        raise Http404("no such reading list")
    owned = next((t for t in remembered.edit_tokens(request) if tokens.view_token_for(t) == token), None)
    selection = _selection(request, reading_list, reverse("readinglists:view", args=[token]))
    items = selection.pop("items")
    context = {
        "list": reading_list,
        **selection,
        "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
        "feeds": _feeds(reading_list, token),
        **_downloads(token, selection["query"]),
        "edit_url": reverse("readinglists:edit", args=[owned]) if owned else None,
    }
    return render(request, "readinglists/view.html", context)


@require_safe
@private
def download_list(request, token, fmt):
    """The list's papers as a .bib or .ris file (papers.downloads), in the owner's order."""
    reading_list = selectors.list_for_view(token)
    if reading_list is None:
        raise Http404("no such reading list")
    papers = _filterset(request, reading_list).qs.order_by(*ORDER)
    return citation_response(request, papers, fmt, "reading-list")


# The owner's order, which a filter or a search keeps (a list is the owner's, not ranked).
ORDER = ("reading_list_items__position", "reading_list_items__id")


def _filterset(request, reading_list):
    # The one PaperFilter of every list page, over this list's papers only.
    return PaperFilter(request.GET, queryset=selectors.papers(reading_list))


def _selection(request, reading_list, base):
    """The list's items as the page's filters narrow them, with the facet column that narrows them
    (papers.listing.selection_facets, as on every list page) and what was ignored."""
    filterset = _filterset(request, reading_list)
    papers = filterset.qs
    return {
        **selection_facets(filterset, papers, filterset.qs_without("area"), base=base, shared=False),
        "items": selectors.items(reading_list, within=papers if filterset.active() else None),
        "problems": filterset.problems(),
        "page_query": urlencode(filterset.query_params(), doseq=True),
    }


def _downloads(view_token, query):
    """What templates/papers/includes/download_links.html needs, for a list's view token: the files
    of what the page shows (its filters kept)."""
    return {
        "downloads": {
            fmt: with_query(reverse("readinglists:download", args=[view_token, fmt]), query)
            for fmt in FORMATS
        },
        "export_limit": EXPORT_LIMIT,
    }


def _feeds(reading_list, view_token):
    return {
        "title": reading_list.display_name,
        "rss": reverse("readinglists:rss", args=[view_token]),
        "atom": reverse("readinglists:atom", args=[view_token]),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@private
def edit_list(request, token):
    """The owner's page (GET) and every change to the list (POST, with the button's `action`)."""
    reading_list = selectors.list_for_edit(token)
    if reading_list is None:
        raise Http404("no such reading list")
    if request.method != "POST":
        return _owner_page(request, reading_list, token)
    action = _ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return refusal(request, 400, _("This form asked for nothing this page can do."))
    return action(request, reading_list, token)


def _owner_page(request, reading_list, token, *, status=200, errors=None, item_error=None):
    view_token = tokens.view_token_for(token)
    saved = _row_id(request.GET.get("saved")) if request.method != "POST" else None
    page_number = request.POST.get("page") if request.method == "POST" else request.GET.get("page")
    selection = _selection(request, reading_list, reverse("readinglists:edit", args=[token]))
    items = selection.pop("items")
    context = {
        "list": reading_list,
        **selection,
        "page": Paginator(items, PAGE_SIZE).get_page(page_number),
        "token": token,
        "edit_link": request.build_absolute_uri(reverse("readinglists:edit", args=[token])),
        "view_url": reverse("readinglists:view", args=[view_token]),
        "view_link": request.build_absolute_uri(reverse("readinglists:view", args=[view_token])),
        "feeds": _feeds(reading_list, view_token),
        **_downloads(view_token, selection["query"]),
        "saved": _published_paper(pk=saved) if saved is not None else None,
        "already": "already" in request.GET,
        "back": _same_site_path(request, request.GET.get("back")),
        "remembered": token in remembered.edit_tokens(request),
        "errors": errors or {},
        "item_error": item_error,
        "max_papers": f"{MAX_PAPERS:,}",
        "max_note_length": MAX_NOTE_LENGTH,
    }
    return render(request, "readinglists/edit.html", context, status=status)


def _refused(request, reading_list, token, where, form_or_message):
    """The owner's page again, with the reason next to the form it concerns; nothing was changed."""
    if isinstance(form_or_message, str):
        messages = [form_or_message]
    else:
        messages = [m for field_errors in form_or_message.errors.values() for m in field_errors]
    if isinstance(where, int):  # an item's form
        item_error = {"pk": where, "messages": messages}
        return _owner_page(request, reading_list, token, status=400, item_error=item_error)
    return _owner_page(request, reading_list, token, status=400, errors={where: messages})


def _item(request, reading_list):
    pk = _row_id(request.POST.get("item"))
    item = reading_list.items.filter(pk=pk).first() if pk is not None else None
    if item is None:
        raise Http404("no such paper in this list")
    return item


def _rename(request, reading_list, token):
    form = RenameForm(request.POST)
    if not form.is_valid():
        return _refused(request, reading_list, token, "name", form)
    services.rename(reading_list, form.cleaned_data["name"])
    return _back_to(token, page=request.POST.get("page"))


def _add(request, reading_list, token):
    form = AddForm(request.POST)
    if not form.is_valid():
        return _refused(request, reading_list, token, "add", form)
    if limited := throttled(request, ADD_PAPERS):
        return limited
    paper = _published_paper(**form.cleaned_data["paper"])
    if paper is None:
        return _refused(request, reading_list, token, "add", _("No paper on this site has that id or link."))
    try:
        added = services.add_paper(reading_list, paper)
    except services.ListFull:
        return _full(request, token)
    return _back_to(token, saved=paper.pk, already=not added)


def _note(request, reading_list, token):
    item = _item(request, reading_list)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, reading_list, token, item.pk, form)
    services.set_note(item, form.cleaned_data["note"])
    return _back_to(token, page=request.POST.get("page"), anchor=f"item-{item.pk}")


def _mark(is_read):
    def mark(request, reading_list, token):
        item = _item(request, reading_list)
        services.set_read(item, is_read)
        return _back_to(token, page=request.POST.get("page"), anchor=f"item-{item.pk}")

    return mark


def _step(by):
    def step(request, reading_list, token):
        item = _item(request, reading_list)
        services.move_item(item, by=by)
        return _back_to(token, page=request.POST.get("page"), anchor=f"item-{item.pk}")

    return step


def _move(request, reading_list, token):
    item = _item(request, reading_list)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, reading_list, token, item.pk, form)
    services.move_item(item, to=form.cleaned_data["position"] - 1)
    return _back_to(token, page=request.POST.get("page"), anchor=f"item-{item.pk}")


def _remove(request, reading_list, token):
    services.remove_item(_item(request, reading_list))
    return _back_to(token, page=request.POST.get("page"))


def _remember(request, reading_list, token):
    # Only on a POST with a CSRF token, never on merely opening an edit link: a link on another site
    # could otherwise plant its own list in a reader's browser and read whatever they save next.
    response = _back_to(token, page=request.POST.get("page"))
    remembered.remember(request, response, token)
    return response


def _forget(request, reading_list, token):
    response = HttpResponseRedirect(reverse("readinglists:mine"), status=303)
    remembered.forget(request, response, token)
    return response


def _delete(request, reading_list, token):
    if request.POST.get("confirm") != "yes":
        message = _("Tick the box to confirm: a deleted list is gone for good.")
        return _refused(request, reading_list, token, "delete", message)
    services.delete_list(reading_list)
    response = HttpResponseRedirect(reverse("readinglists:mine") + "?deleted", status=303)
    remembered.forget(request, response, token)
    return response


_ACTIONS = {
    "rename": _rename,
    "add": _add,
    "note": _note,
    "read": _mark(True),
    "unread": _mark(False),
    "up": _step(-1),
    "down": _step(+1),
    "move": _move,
    "remove": _remove,
    "remember": _remember,
    "forget": _forget,
    "delete": _delete,
}
