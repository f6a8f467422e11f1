"""What a list's owner (and the Save control) changes. Views check who may; these keep the rules.

Every change moves the list's `updated_at`, which its feed's ETag and Last-Modified come from.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from papers.cleaning import strip_control_characters

from . import tokens
from .models import MAX_PAPERS, ListItem, ReadingList


class ListFull(Exception):
    """The list already holds MAX_PAPERS papers."""


def create_list(*, name="", papers=()):
    """A new list and its edit token (returned once: only its digest is stored)."""
    edit_token = tokens.new_edit_token()
    with transaction.atomic():
        reading_list = ReadingList.objects.create(
            name=clean_name(name),
            edit_digest=tokens.digest(edit_token),
            view_digest=tokens.digest(tokens.view_token_for(edit_token)),
        )
        for paper in papers:
            add_paper(reading_list, paper)
    return reading_list, edit_token


def clean_name(name):
    return strip_control_characters(" ".join((name or "").split()))


def add_paper(reading_list, paper):
    """Put a paper at the end of the list; True if it was added, False if it was there already.

    The list's row is locked first (on PostgreSQL; SQLite's writes are serialised anyway), so two
    saves at once can neither pass the cap together nor take the same position.
    """
    with transaction.atomic():
        locked = ReadingList.objects.select_for_update().get(pk=reading_list.pk)
        items = ListItem.objects.filter(reading_list=locked)
        if items.filter(paper=paper).exists():
            return False
        if items.count() >= MAX_PAPERS:
            raise ListFull
        last = items.aggregate(last=Max("position"))["last"]
        ListItem.objects.create(reading_list=locked, paper=paper, position=0 if last is None else last + 1)
        _touch(locked.pk)
    return True


def remove_item(item):
    with transaction.atomic():
        item.delete()
        _touch(item.reading_list_id)


def move_item(item, *, to=None, by=None):
    """Move an item to index `to` (0-based), or `by` places (-1: up one), clamped to the list; the
    others keep their order."""
    with transaction.atomic():
        order = list(
            ListItem.objects.select_for_update()
            .filter(reading_list_id=item.reading_list_id)
            .order_by("position", "id")
            .values_list("id", "position")
        )
        ids = [pk for pk, _position in order]
        index = ids.index(item.pk) + by if to is None else to
        ids.remove(item.pk)
        ids.insert(max(0, min(index, len(ids))), item.pk)
        # Only the positions that changed are written (a move to the top of 1,000 writes them all).
        old = dict(order)
        moved = [ListItem(pk=pk, position=new) for new, pk in enumerate(ids) if old[pk] != new]
        ListItem.objects.bulk_update(moved, ["position"], batch_size=500)
        _touch(item.reading_list_id)


def rename(reading_list, name):
    reading_list.name = clean_name(name)
    reading_list.save(update_fields=["name", "updated_at"])


def set_note(item, note):
    item.note = strip_control_characters((note or "").strip())
    item.save(update_fields=["note"])
    _touch(item.reading_list_id)


def set_read(item, is_read):
    item.is_read = is_read
    item.save(update_fields=["is_read"])
    _touch(item.reading_list_id)


def delete_list(reading_list):
    """The list and its items are gone; both of its links answer 404 from now on."""
    reading_list.delete()


def _touch(list_id):
    # auto_now only fires on the list's own save(); a change to an item is a change to the list.
    ReadingList.objects.filter(pk=list_id).update(updated_at=timezone.now())
