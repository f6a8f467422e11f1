"""A reading list and its papers. A list has no owner row: whoever holds its edit token owns it
(see readinglists.tokens); the database keeps only digests of its two tokens."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from papers.models import Paper

# A list is a reader's shelf, not an archive: 1,000 papers is far more than anyone reads, and keeps
# every page, feed and reorder of a list cheap.
MAX_PAPERS = 1000
MAX_NAME_LENGTH = 200
# A note is a reminder ("section 3 has the proof"), not a review.
MAX_NOTE_LENGTH = 500


class ReadingList(models.Model):
    name = models.CharField(_("name"), max_length=MAX_NAME_LENGTH, blank=True)
    edit_digest = models.CharField(max_length=64, unique=True, editable=False)
    view_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves with every change to the list or its items: the feed's ETag and Last-Modified.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reading list")
        verbose_name_plural = _("reading lists")
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.name or str(_("Untitled reading list"))


class ListItem(models.Model):
    # readinglist_item_order_idx (reading_list, position) covers lookups by list.
    reading_list = models.ForeignKey(
        ReadingList, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    # Curators hide papers rather than delete them; a deleted paper simply leaves every list.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="reading_list_items")
    position = models.PositiveIntegerField()
    note = models.CharField(_("note"), max_length=MAX_NOTE_LENGTH, blank=True)
    is_read = models.BooleanField(_("read"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved paper")
        verbose_name_plural = _("saved papers")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reading_list", "paper"], name="readinglist_paper_once"),
        ]
        indexes = [models.Index(fields=["reading_list", "position"], name="readinglist_item_order_idx")]

    def __str__(self):
        return f"{self.reading_list_id}: {self.paper_id}"
