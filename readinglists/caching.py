"""Every page of this app is private to whoever holds its link, and none is kept by any cache.

A list changes without moving the site version (papers.pagecache keys on it), so a cached copy of a
list page or feed would be stale; `no-store` keeps it out of the page cache and out of proxies and
browsers' caches, so a change shows at once, and an edit link never sits in a shared cache.
"""

import functools

from django.utils.cache import patch_vary_headers

NO_STORE = "private, no-store"


def private(view):
    @functools.wraps(view)
    def marked(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = NO_STORE
        patch_vary_headers(response, ("Cookie",))
        return response

    return marked
