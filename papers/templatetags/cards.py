"""`{% paper_cards page as cards %}`: a page's paper cards and COinS spans, from papers.cardcache.

`{{ cards.html }}` is the cards, `{{ cards.coins }}` their COinS spans (`{% load cards %}`).
"""

from django import template
from django.utils.safestring import mark_safe

from .. import cardcache

register = template.Library()


class PageCards:
    def __init__(self, cards):
        self._cards = cards

    def __bool__(self):
        return bool(self._cards)

    # Safe: each card is the output of the autoescaping card template, each span of format_html.
    @property
    def html(self):
        return mark_safe("\n".join(self._cards.html))

    @property
    def coins(self):
        return mark_safe("".join(self._cards.coins))


@register.simple_tag(takes_context=True)
def paper_cards(context, page):
    """`page` is a Page of papers (its object_list read here, whole only for the cards not kept)."""
    return PageCards(cardcache.render_cards(page.object_list, context))
