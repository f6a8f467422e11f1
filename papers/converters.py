"""Path converters that take only values a row can have, so any other path is a 404 from the resolver.

Django's `str` takes any character but `/` and `int` any run of digits. A NUL byte then reaches
PostgreSQL, whose text type refuses it (DataError), and 20 digits reach SQLite, whose integer
binding overflows (OverflowError): both were 500s. Refusing them here, before any view runs, covers
every page and feed at once, on both databases, and no view needs a guard of its own.
"""

from django.urls import register_converter


class AreaCodeConverter:
    """An area code as digests write it (2 to 8 ASCII letters, the parser's rule); either case, since
    the area page redirects a lower-case code to the upper-case one."""

    regex = "[A-Za-z]{2,8}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class SlugConverter:
    """What a unicode SlugField accepts (Django's validate_unicode_slug: word characters and hyphens).

    No length bound: a slug longer than the column is simply not found.
    """

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class RowIdConverter:
    """A row id: at most 18 ASCII digits, so every value fits a signed 64-bit integer (2**63 has 19)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class ExportFormatConverter:
    """A citation download's format (papers.downloads.FORMATS)."""

    regex = "bib|ris"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


# Names of their own: Django deprecates replacing its built-in `slug` (ASCII only) and friends.
register_converter(AreaCodeConverter, "area_code")
register_converter(SlugConverter, "unicode_slug")
register_converter(RowIdConverter, "row_id")
register_converter(ExportFormatConverter, "export_format")
