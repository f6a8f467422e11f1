"""A token in a path: exactly what readinglists.tokens makes, so anything else is a 404 from the
resolver, before a query (as papers.converters does for the other routes)."""

from django.urls import register_converter

from .tokens import TOKEN_PATTERN


class TokenConverter:
    regex = TOKEN_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "list_token")
