"""What a list page shows, read from the context it rendered (markup tests read the HTML instead)."""


def titles(response):
    """The English titles of the papers on a list page, in order."""
    return [paper.title_en for paper in response.context["page"]]


def facet_counts(response, name="area_facets"):
    """A facet's counts by code (areas) or name (institutions)."""
    return {getattr(item, "code", None) or item.name: item.n for item in response.context[name]}
