"""Search matches in <mark>, and formulas as MathML, for titles and texts: `{% load highlight %}`.

`{% highlight text %}` and `{% snippet text %}` read the page's `search_query` (a
papers.search.Query) from the context; on any other page there is none, and they give the text
escaped, exactly as `{{ text }}` would. `$…$` formulas in the text render as MathML (papers.math);
on a search only the text around them is marked, since a formula's source is not what the reader
sees, and a snippet never starts inside a formula. A text without `$` takes none of that path.
`{{ text|math }}` renders formulas where no search is marked.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from .. import math, search

register = template.Library()


def _query(context):
    query = context.get("search_query")
    return query if isinstance(query, search.Query) else None


def _marked(query):
    # Safe: papers.search.highlight escapes every piece of the text it marks.
    return lambda part: search.highlight(part, query)


@register.filter(name="math")
def render_math(text):
    """The text escaped, with its formulas as sanitized MathML (papers.math escapes every part)."""
    if text is None:
        return ""
    if "$" not in str(text):
        return conditional_escape(text)
    return mark_safe(math.to_html(str(text)))


@register.simple_tag(takes_context=True)
def highlight(context, text):
    """The whole text, escaped, with the query's words marked."""
    query = _query(context)
    if text is None:
        return ""
    if query is None:
        return render_math(text)
    text = str(text)
    if "$" not in text:
        return mark_safe(search.highlight(text, query))
    return mark_safe(math.to_html(text, plain=_marked(query)))


@register.simple_tag(takes_context=True)
def snippet(context, text):
    """Like highlight, but starting shortly before the first match when it is deep in the text
    (cards clamp long abstracts, which would hide the match)."""
    query = _query(context)
    if text is None:
        return ""
    if query is None:
        return render_math(text)
    text = str(text)
    if "$" not in text:
        return mark_safe(search.snippet(text, query))
    start = math.cut_outside_formulas(text, search.snippet_start(text, query))
    return mark_safe(("…" if start else "") + math.to_html(text[start:], plain=_marked(query)))
