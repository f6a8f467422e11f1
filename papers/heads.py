"""A page's papers by id and listing day: what list pages keep of a page, and what the card cache
needs of it; the papers themselves are read only when something needs them whole."""

from collections.abc import Sequence

from .models import Paper


class PaperHeads(Sequence):
    """A page's papers as (id, listing day) pairs, in page order, read whole (with what a card
    shows) only when something needs them whole: kept_per_paper() reads just the papers whose cards
    it does not keep. A list page keeps these pairs per selection and page (papers.listing), a
    search its ranked ones (papers.search.ranked_heads)."""

    def __init__(self, heads):
        self.heads = list(heads)
        self._papers = None

    @property
    def loaded(self):
        return self._papers is not None

    def _read(self):
        if self._papers is None:
            ids = [pk for pk, _listed_on in self.heads]
            papers = Paper.objects.published().for_cards().in_bulk(ids)
            self._papers = [papers[pk] for pk in ids if pk in papers]
        return self._papers

    def __getitem__(self, index):
        return self._read()[index]

    def __len__(self):
        return len(self._read())
