"""Keep the search index and the papers' `updated_at` right when one object is saved, as the admin does.

Feeds (and conditional GETs of pages) date a selection by its papers' newest `updated_at`, so a
change to an author, an institution or an area that a paper shows must move its papers' dates too,
or feed readers would be told "304 Not Modified" and keep the old name.

Bulk writers (the importer, curation's list edits and merges) bypass these signals and call
papers.search.reindex_papers themselves, once per batch; so there are deliberately no receivers on
Authorship and Affiliation rows, which would reindex a paper once per row.
"""

from django.db import connections
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.utils import timezone

from . import bulk, search
from .models import TEXT_FIELDS, Affiliation, Area, Author, Authorship, Institution, Paper

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
        kept = instance.canonical() if instance.merged_into_id else instance
        link, fk = (Authorship, "author") if sender is Author else (Affiliation, "institution")
        _touch(Paper.objects.filter(pk__in=link.objects.filter(**{fk: kept}).values("paper_id")))


@receiver(post_save, sender=Area, dispatch_uid="area_saved")
def area_saved(sender, instance, raw=False, created=False, **kwargs):
    if not raw and not created:
        _touch(Paper.objects.filter(area=instance))


def _touch(papers):
    # update() sends no signals, so this never re-enters paper_saved.
    papers.update(updated_at=timezone.now())


@receiver(post_migrate, dispatch_uid="paper_counts_recounted")
def recount_papers(sender, app_config=None, using="default", **kwargs):
    """models.PaperCount's triggers count every row a flush deletes (the test runner's, between
    transactional tests), in whatever order it empties the tables; post_migrate follows every
    migrate and flush, so the counts are made again from what is left."""
    if app_config is not None and app_config.label == "papers":
        bulk.recount_published_papers(connections[using])
