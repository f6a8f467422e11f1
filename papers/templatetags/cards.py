"""`{% paper_cards papers %}`: a page's paper cards, from papers.cardcache (`{% load cards %}`)."""

from django import template
from django.utils.safestring import mark_safe

from .. import cardcache

register = template.Library()


@register.simple_tag(takes_context=True)
def paper_cards(context, papers):
    # Safe: each card is the output of the autoescaping card template.
    return mark_safe("\n".join(cardcache.render_cards(list(papers), context)))
