"""`{% institution_name institution %}`: the name in the interface language, the other beside it."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def institution_name(institution):
    first, second = institution.names_in(get_language() or "")
    first_lang, second_lang = (
        ("zh-Hans", "en") if first == institution.name_zh != institution.name else ("en", "zh-Hans")
    )
    if not second:
        return format_html('<span lang="{}">{}</span>', first_lang, first)
    return format_html(
        '<span lang="{}">{}</span> <span class="name-other" lang="{}">{}</span>',
        first_lang,
        first,
        second_lang,
        second,
    )
