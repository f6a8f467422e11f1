"""papers.urlbuild gives what reverse() gives, for every kind of value a row's URL carries."""

import pytest
from django.test import override_settings
from django.urls import reverse, set_script_prefix

from papers import urlbuild

VALUES = [
    ("papers:paper", 1),
    ("papers:paper", 987654321012345678),
    ("papers:digest", 42),
    ("papers:area", "LG"),
    ("papers:area", "cs"),
    ("papers:author", "wei-zhang"),
    ("papers:author", "张伟"),
    ("papers:institution", "清华大学-tsinghua"),
    ("papers:institution", "école_polytechnique"),
    ("papers:author_rss", "ада-лавлейс"),
]


@pytest.mark.parametrize(("name", "value"), VALUES)
def test_same_url_as_reverse(name, value):
    assert urlbuild.url(name, value) == reverse(name, args=[value])


def test_a_script_prefix_is_kept():
    # Behind a proxy mounting the portal under a path (SCRIPT_NAME), as reverse() does.
    set_script_prefix("/portal/")
    try:
        assert urlbuild.url("papers:author", "张伟") == reverse("papers:author", args=["张伟"])
        assert urlbuild.url("papers:paper", 7).startswith("/portal/papers/7/")
    finally:
        set_script_prefix("/")
    assert urlbuild.url("papers:paper", 7) == "/papers/7/"


def test_a_pattern_without_one_argument_is_refused():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        urlbuild.url("papers:list", 1)


def test_a_new_urlconf_is_read_again():
    urlbuild.url("papers:paper", 1)
    with override_settings(ROOT_URLCONF="portal.urls"):
        assert urlbuild.url("papers:paper", 3) == "/papers/3/"
    assert urlbuild.url("papers:paper", 3) == "/papers/3/"
