"""COinS for list pages, so Zotero's connector saves a whole page at once: `{% load citing %}`.

`{% coins paper %}` is an empty `<span class="Z3988">` whose title is the paper's OpenURL
ContextObject (papers.citations.openurl). Read the paper through Paper.objects.for_cards().
"""

from django import template
from django.utils.html import format_html

from .. import citations
from ..downloads import record

register = template.Library()


@register.simple_tag(takes_context=True)
def coins(context, paper):
    return coins_span(paper, context.request)


def coins_span(paper, request):
    """The span; list pages keep it with the paper's card (papers.cardcache)."""
    # format_html escapes the title attribute (its & between pairs, and any quote in a title).
    return format_html('<span class="Z3988" title="{}"></span>', citations.openurl(record(paper, request)))
