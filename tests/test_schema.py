"""What the database itself refuses, whoever writes to it: the importer's raw INSERT and COPY
(papers.bulk) and QuerySet.update() go around model validation."""

import pytest
from django.db import IntegrityError, transaction

from papers import bulk
from papers.importing import import_digest
from papers.models import PROVENANCE_FIELDS, Digest, DigestEntry, Paper, Source

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    import_digest(daily_digest([Entry("One paper", "2301.00001")]), name="d.txt")


def refused(queryset, **values):
    # Atomic: on PostgreSQL a failed statement would otherwise end the test's transaction.
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


@pytest.mark.parametrize("field", PROVENANCE_FIELDS)
def test_provenance_columns_hold_a_source_or_nothing(imported, field):
    papers = Paper.objects.all()
    refused(papers, **{field: "Curator"})
    refused(papers, **{field: "google"})
    for allowed in [*Source.values, ""]:  # "" is no provenance: nothing there
        papers.update(**{field: allowed})
        assert papers.values_list(field, flat=True).get() == allowed


def test_an_entry_section_is_main_other_or_stream(imported):
    refused(DigestEntry.objects.all(), section="sidebar")
    refused(DigestEntry.objects.all(), section="")


def test_a_digest_format_is_daily_or_stream(imported):
    refused(Digest.objects.all(), format="weekly")
    refused(Digest.objects.all(), format="")


def test_bulk_writes_are_refused_too(imported):
    """The importer's own path: a multi-row INSERT on SQLite, COPY on PostgreSQL."""
    digest, paper = Digest.objects.get(), Paper.objects.get()
    columns = (
        "digest_id", "paper_id", "position", "section", "line",
        "authors", "authors_truncated", "institutions", "machine_translated",
    )  # fmt: skip
    row = (digest.pk, paper.pk, 2, "sidebar", 1, "[]", False, "[]", "[]")
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(DigestEntry, columns, [row])
    bulk.insert(DigestEntry, columns, [(*row[:3], "other", *row[4:])])
    assert list(DigestEntry.objects.values_list("section", flat=True)) == ["main", "other"]
