"""What every template is given, besides Django's own: the interface language and the choices."""

from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Paper, Source


def interface(request):
    """Whether the interface is Chinese: it decides which language's column comes first."""
    return {"ui_zh": (get_language() or "").startswith("zh")}


def vocabulary(request):
    """The choices templates compare against ({% if source == Source.CURATOR %}), so that no template
    spells a stored value."""
    return {"Source": Source}


def card_labels(request):
    """The words of a paper card (templates/papers/includes/paper_card.html), translated once per
    page rather than once per card (a {% translate %} costs a catalog lookup each time), and the
    order of its two texts. Lazy: a page without cards never translates them."""
    return {"card_labels": SimpleLazyObject(_card_labels)}


def _card_labels():
    zh_first = (get_language() or "").startswith("zh")
    return {
        "new": _("new"),
        "since_last_visit": _("since your last visit"),
        "featured": _("featured"),
        "code": _("code"),
        "from": _("from"),
        "authors": _("Authors:"),
        "et_al": _("et al."),
        "institutions": _("Institutions"),
        "read_more": _("Read both texts in full"),
        "untitled": str(Paper.UNTITLED_LABEL),
        "chinese": _("Chinese"),
        "english": _("English"),
        "no_chinese": _("No Chinese text in the digests yet."),
        "no_english": _("No English abstract in the digests yet."),
        "save": _("Save to reading list"),
        "text_order": ("zh", "en") if zh_first else ("en", "zh"),
        "ui_zh": zh_first,
    }
