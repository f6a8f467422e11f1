"""The one rule for when two spellings of an author or institution are the same name. Pure Python.

Stored rows are unique by it (NamedEntity.normalized_name), the importer looks names up by it, and
the reference table of institutions (papers.reference) refuses two entries claiming one spelling by it.
"""

import unicodedata


def normalize_name(name):
    """The key two spellings of one author or institution share: width, case and spacing folded."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split()).strip(" .,;")
