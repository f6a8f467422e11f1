"""URLs of rows without a reverse() per link: each URL pattern is reversed once per process.

A list page links every card's paper, area, digest, authors and institutions: some 9 reverse()
calls a card, 225 a page, each walking the resolver (a sixth of a card's render). The path of a
pattern with one argument never changes while the process runs, so it is reversed once with a
placeholder the converter accepts and then filled in by formatting, quoted as reverse() quotes it.
"""

from functools import cache
from urllib.parse import quote

from django.core.signals import setting_changed
from django.urls import get_script_prefix, reverse
from django.urls.exceptions import NoReverseMatch
from django.utils.http import RFC3986_SUBDELIMS

# Values the row id, area code and slug converters take (papers.converters), and that no path holds.
_PLACEHOLDERS = ("5318008531", "QXZJQ")
_SAFE = RFC3986_SUBDELIMS + "/~:@"


@cache
def _template(name, prefix):
    """(before, after) around the argument in the path of `name` (for this script prefix)."""
    for placeholder in _PLACEHOLDERS:
        try:
            path = reverse(name, args=[placeholder])
        except NoReverseMatch:
            continue
        before, found, after = path.partition(placeholder)
        if found and placeholder not in after:
            return before, after
    raise NoReverseMatch(f"{name!r} takes no single argument that urlbuild can fill in")


def url(name, value):
    """reverse(name, args=[value]), from the pattern's path reversed once."""
    before, after = _template(name, get_script_prefix())
    return before + quote(str(value), safe=_SAFE) + after


def _forget(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _template.cache_clear()


setting_changed.connect(_forget)
