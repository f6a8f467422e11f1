"""Keep the search index right when one object is saved, as the admin does.

Bulk writers (the importer, curation's list edits and merges) bypass these signals and call
papers.search.reindex_papers themselves, once per batch; so there are deliberately no receivers on
Authorship and Affiliation rows, which would reindex a paper once per row.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import search
from .models import TEXT_FIELDS, Author, Institution, Paper

INDEXED_FIELDS = {*TEXT_FIELDS, "arxiv_id"}


@receiver(post_save, sender=Paper, dispatch_uid="search_paper_saved")
def paper_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not INDEXED_FIELDS & set(update_fields)):
        return
    search.reindex_papers([instance.pk])


@receiver(post_delete, sender=Paper, dispatch_uid="search_paper_deleted")
def paper_deleted(sender, instance, **kwargs):
    search.unindex_papers([instance.pk])


@receiver(post_save, sender=Author, dispatch_uid="search_author_saved")
@receiver(post_save, sender=Institution, dispatch_uid="search_institution_saved")
def entity_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.reindex_entity(instance)
