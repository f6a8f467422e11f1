"""The one FilterSet behind every paper list: pages, feeds and search all read their query here.

Invalid values (an unknown area, a slug that does not exist) fail validation and are ignored, so
a hand-edited URL narrows nothing instead of erroring.
"""

import django_filters
from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import Area, Author, Digest, Institution, Paper

MAX_VALUES = 20  # per repeatable parameter; more is not a real reader's URL


def area_choices():
    return [(code, code) for code in Area.objects.order_by("code").values_list("code", flat=True)]


class BoundedMultipleChoiceField(forms.MultipleChoiceField):
    def clean(self, value):
        if value and len(value) > MAX_VALUES:
            raise forms.ValidationError(_("Too many values."))
        return super().clean(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value):
        if value and len(value) > MAX_VALUES:
            raise forms.ValidationError(_("Too many values."))
        return super().clean(value)


class AreaFilter(django_filters.MultipleChoiceFilter):
    field_class = BoundedMultipleChoiceField


class InstitutionFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = BoundedModelMultipleChoiceField


class PaperFilter(django_filters.FilterSet):
    area = AreaFilter(field_name="area__code", choices=area_choices, label=_("Area"))
    institution = InstitutionFilter(
        # With to_field_name, django-filter filters on `field_name` = the slug itself.
        field_name="institutions__slug",
        to_field_name="slug",
        queryset=Institution.objects.canonical(),
        label=_("Institution"),
        distinct=True,
    )
    author = django_filters.ModelChoiceFilter(
        field_name="authors", to_field_name="slug", queryset=Author.objects.canonical(), label=_("Author")
    )
    digest = django_filters.ModelChoiceFilter(
        field_name="entries__digest", queryset=Digest.objects.all(), label=_("Digest"), distinct=True
    )
    both = django_filters.BooleanFilter(method="filter_both", label=_("Has both languages"))

    class Meta:
        model = Paper
        fields = []

    def filter_both(self, queryset, name, value):
        if value is None:
            return queryset
        both = Q(abstract_en__isnull=False) & (Q(summary_zh__isnull=False) | Q(abstract_zh__isnull=False))
        return queryset.filter(both) if value else queryset.exclude(both)

    def active(self):
        """The valid, non-empty parameters: what the page says it is showing, and what its feed keeps."""
        self.form.is_valid()
        return {k: v for k, v in self.form.cleaned_data.items() if v is not None and v != "" and v != []}

    def query_params(self):
        """The active filters in URL form ({name: [values]}), for facet, page and feed links."""
        params = {}
        for name, value in self.active().items():
            if isinstance(value, bool):
                values = ["true" if value else "false"]
            elif isinstance(value, str) or not hasattr(value, "__iter__"):
                values = [_param(value)]
            else:
                values = [_param(v) for v in value]
            if values:
                params[name] = values
        return params

    def qs_without(self, name):
        """The selection with one filter left out: what facet counts for that filter are taken over."""
        self.form.is_valid()
        queryset = self.queryset.all()
        for field, value in self.form.cleaned_data.items():
            if field != name:
                queryset = self.filters[field].filter(queryset, value)
        return queryset


def _param(value):
    return str(getattr(value, "slug", None) or getattr(value, "pk", None) or value)


def area_facets(papers):
    """Every area with the number of papers in the current selection, ignoring the area filter itself."""
    return Area.objects.annotate(n=Count("papers", filter=Q(papers__in=papers.values("pk")))).order_by("code")


def institution_facets(papers, limit=12):
    """The institutions most represented in the current selection."""
    return (
        Institution.objects.filter(affiliations__paper__in=papers.values("pk"))
        .annotate(n=Count("affiliations__paper", distinct=True))
        .order_by("-n", "name")[:limit]
    )
