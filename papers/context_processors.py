from django.utils.translation import get_language


def interface(request):
    """Whether the interface is Chinese: it decides which language's column comes first."""
    return {"ui_zh": (get_language() or "").startswith("zh")}
