"""Search matches in <mark>, for paper cards on a search: `{% load highlight %}`.

`{% highlight text %}` and `{% snippet text %}` read the page's `search_query` (a
papers.search.Query) from the context; on any other page there is none, and they give the text
escaped, exactly as `{{ text }}` would.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from .. import search

register = template.Library()


def _query(context):
    query = context.get("search_query")
    return query if isinstance(query, search.Query) else None


@register.simple_tag(takes_context=True)
def highlight(context, text):
    """The whole text, escaped, with the query's words marked."""
    query = _query(context)
    if query is None or text is None:
        return conditional_escape(text or "")
    # Safe: papers.search.highlight escapes every piece of the text it marks.
    return mark_safe(search.highlight(str(text), query))


@register.simple_tag(takes_context=True)
def snippet(context, text):
    """Like highlight, but starting shortly before the first match when it is deep in the text
    (cards clamp long abstracts, which would hide the match)."""
    query = _query(context)
    if query is None or text is None:
        return conditional_escape(text or "")
    return mark_safe(search.snippet(str(text), query))
