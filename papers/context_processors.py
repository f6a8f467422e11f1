"""What every template is given, besides Django's own: the interface language and the choices."""

from django.utils.translation import get_language

from .models import Source


def interface(request):
    """Whether the interface is Chinese: it decides which language's column comes first."""
    return {"ui_zh": (get_language() or "").startswith("zh")}


def vocabulary(request):
    """The choices templates compare against ({% if source == Source.CURATOR %}), so that no template
    spells a stored value."""
    return {"Source": Source}
