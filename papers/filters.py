"""The one FilterSet behind every paper list: pages, feeds and search all read their query here.

Invalid values (an unknown area, a slug that does not exist) fail validation and are ignored, so
a hand-edited URL narrows nothing instead of erroring.
"""

import hashlib
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from . import search, windows
from .cleaning import has_control_characters
from .models import (
    Affiliation,
    Area,
    Author,
    Authorship,
    Digest,
    DigestEntry,
    Institution,
    InstitutionKind,
    LinkKind,
    Paper,
    PaperCount,
    PaperLink,
    ReferenceCountry,
    normalize_name,
)
from .pagecache import versioned

MAX_VALUES = 20  # per repeatable parameter; more is not a real reader's URL


class BoundedValues:
    """A repeatable parameter takes at most MAX_VALUES values; more are refused, and the page says so."""

    def clean(self, value):
        if value and len(value) > MAX_VALUES:
            raise forms.ValidationError(
                _(
                    "“%(name)s” was given %(count)d values, more than the %(max)d a list takes, so that "
                    "filter was ignored. Choose at most %(max)d."
                ),
                code="too_many",
                params={"count": len(value), "name": self.label, "max": MAX_VALUES},
            )
        return super().clean(value)


class BoundedMultipleChoiceField(BoundedValues, forms.MultipleChoiceField):
    pass


class BoundedModelMultipleChoiceField(BoundedValues, forms.ModelMultipleChoiceField):
    pass


class SearchField(forms.CharField):
    """The search text; what makes it unusable is said in words a reader can act on."""

    default_error_messages = {
        "max_length": _(
            "That search is longer than %(limit_value)d characters, so it was ignored and every paper is "
            "shown. Shorten it to a few words and search again."
        ),
        "null_characters_not_allowed": _(
            "That search contains control characters, so it was ignored and every paper is shown. "
            "Type it again without them."
        ),
    }

    def validate(self, value):
        super().validate(value)
        if has_control_characters(value):
            raise forms.ValidationError(self.error_messages["null_characters_not_allowed"], code="control")


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class AreaFilter(django_filters.MultipleChoiceFilter):
    field_class = BoundedMultipleChoiceField


class InstitutionField(BoundedModelMultipleChoiceField):
    """?institution= takes an institution's slug, English or Chinese name or a short name
    (`carnegie-mellon-university`, `Carnegie Mellon University`, `卡内基梅隆大学`, `CMU`), all in one
    query; links are written with the slug."""

    def clean(self, value):
        # None given: an empty list (Django's is an empty queryset, which every later test of "is
        # the filter on?" would have to build and count).
        return [] if not value and not self.required else super().clean(value)

    def _check_values(self, value):
        values = {str(v) for v in value}
        for v in values:
            self.validate_no_null_characters(v)
        names = {normalize_name(v) for v in values}
        matches = Q(slug__in=values) | Q(normalized_name__in=names) | Q(name_zh__in=values)
        for v in values:
            matches |= Q(short_names__icontains=v)
        # Kept: a facet page (an institution's) and its feeds validate the same slug on every view.
        named = "canonical-institutions-named:" + hashlib.sha256(repr(sorted(values)).encode()).hexdigest()
        rows = versioned(named, lambda: list(self.queryset.filter(matches)))
        found = []
        for v in values:
            row = next((r for r in rows if _names_institution(r, v)), None)
            if row is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": v}
                )
            found.append(row)
        return list(dict.fromkeys(found))


def _names_institution(row, value):
    folded = normalize_name(value)
    return (
        value == row.slug
        or folded == row.normalized_name
        or value == row.name_zh
        or folded in {normalize_name(n) for n in row.short_name_list}
    )


class InstitutionFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = InstitutionField


class InstitutionDetailFilter(django_filters.MultipleChoiceFilter):
    """?kind= and ?country=: the papers listing an institution of that kind, or in that country."""

    field_class = BoundedMultipleChoiceField

    def filter(self, queryset, value):
        if not value:
            return queryset
        links = Affiliation.objects.filter(**{f"institution__{self.field_name}__in": value})
        return queryset.filter(pk__in=links.values("paper_id"))


class DayField(forms.Field):
    """A day as YYYY-MM-DD and nothing else (papers.windows.parse_day); the message never echoes the value."""

    default_error_messages = {
        "invalid": _("“%(name)s” must be a date written YYYY-MM-DD, such as 2026-11-25, so it was ignored."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        day = windows.parse_day(value)
        if day is None:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"name": self.label}
            )
        return day


class SinceField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": _("“since” takes today, week or month, so it was ignored."),
    }

    def __init__(self, **kwargs):
        super().__init__(choices=[(name, name) for name in windows.SINCE_DAYS], **kwargs)


class DayFilter(django_filters.Filter):
    field_class = DayField


class SinceFilter(django_filters.Filter):
    field_class = SinceField


class WindowForm(forms.Form):
    """A window from a later day to an earlier one is ignored whole, and the page says why."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            del cleaned["to"]
            self.add_error(
                "from",
                forms.ValidationError(
                    _("“from” (%(start)s) is after “to” (%(end)s), so both were ignored."),
                    code="reversed",
                    params={"start": start.isoformat(), "end": end.isoformat()},
                ),
            )
        return cleaned


class PaperFilter(django_filters.FilterSet):
    # Full-text search (papers.search); a longer query is invalid, so ignored, and the page says so.
    q = SearchFilter(method="filter_q", max_length=search.MAX_QUERY_LENGTH, label=_("Search"))
    # Every filter below is an `id IN (subquery)` on a link table or a plain column: no join that
    # multiplies rows, so no DISTINCT over whole paper rows (at 100,000 papers that cost seconds).
    area = AreaFilter(field_name="area__code", choices=(), label=_("Area"), distinct=False)
    institution = InstitutionFilter(
        method="filter_institution",
        to_field_name="slug",
        queryset=Institution.objects.canonical(),
        label=_("Institution"),
    )
    kind = InstitutionDetailFilter(field_name="kind", choices=InstitutionKind.choices, label=_("Kind"))
    country = InstitutionDetailFilter(field_name="country", choices=(), label=_("Country"))
    author = django_filters.ModelChoiceFilter(
        method="filter_author", to_field_name="slug", queryset=Author.objects.canonical(), label=_("Author")
    )
    digest = django_filters.ModelChoiceFilter(
        method="filter_digest", queryset=Digest.objects.all(), label=_("Digest")
    )
    both = django_filters.BooleanFilter(method="filter_both", label=_("Has both languages"))
    # ?has_code=1 (or true): the papers with a code link; the papers-with-code feed is this on a feed.
    has_code = django_filters.BooleanFilter(
        method="filter_has_code", widget=BooleanWidget, label=_("Has a code link")
    )
    # Time windows over `listed_on` (papers.windows says why that date, and what "today" is); `from`
    # is a Python keyword, so it is declared below the class.
    since = SinceFilter(method="filter_since", label="since")
    to = DayFilter(method="filter_to", label="to")

    class Meta:
        model = Paper
        fields = []
        form = WindowForm

    # Set (before .qs is read) when the institution filter keeps a large share of the papers: the
    # list then walks its ordering index and checks each paper's institutions, and stops at the page,
    # instead of reading and sorting every paper of the institution (SQLite's plan for the `IN`
    # form: 100-170 ms for an institution with a quarter of 100,000 papers, 1 ms this way; a rare
    # institution is the other way round). PostgreSQL plans both forms alike, from its statistics.
    walk_listing = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The area list is loaded at most once, and only when needed: to validate ?area= here, and
        # for the facets (area_facets). A feed's conditional GET without ?area= never loads it.
        if self.data and self.data.get("area"):
            self.filters["area"].extra["choices"] = [(a.code, a.code) for a in self.areas]
        if self.data and self.data.get("country"):
            # The reference table's countries, and any other a curator gave an institution.
            stored = Institution.objects.exclude(country="").values_list("country", flat=True).distinct()
            codes = sorted({*self.countries, *stored})
            self.filters["country"].extra["choices"] = [(code, code) for code in codes]

    # django-filter builds a form class, and a field per filter, for every FilterSet: a millisecond
    # of each list page and feed. Its fields differ only by the area and country choices set above,
    # so one class is kept per pair (each form still deep-copies its fields, as every Django form).
    _form_classes = {}

    def get_form_class(self):
        key = tuple(tuple(self.filters[name].extra.get("choices", ())) for name in ("area", "country"))
        form_class = self._form_classes.get(key)
        if form_class is None:
            if len(self._form_classes) > 32:  # areas or countries changed many times: start again
                self._form_classes.clear()
            form_class = self._form_classes[key] = super().get_form_class()
        return form_class

    @cached_property
    def countries(self):
        """Country code → its (English, Chinese) names, as the reference table gives them."""
        return {c.code: (c.name_en, c.name_zh) for c in ReferenceCountry.objects.all()}

    @cached_property
    def areas(self):
        return versioned("areas", lambda: list(Area.objects.order_by("code")))

    def filter_institution(self, queryset, name, value):
        if not value:
            return queryset
        # Ids, not a subquery of the slugs: PostgreSQL then plans by how many papers this institution
        # has (its statistics' common values), not by the average institution's 500 (870 ms, not 1).
        links = Affiliation.objects.filter(institution_id__in=[institution.pk for institution in value])
        if self.walk_listing:
            return queryset.filter(Exists(links.filter(paper_id=OuterRef("pk"))))
        return queryset.filter(pk__in=links.values("paper_id"))

    def filter_author(self, queryset, name, value):
        return queryset.filter(pk__in=Authorship.objects.filter(author=value).values("paper_id"))

    def filter_digest(self, queryset, name, value):
        return queryset.filter(pk__in=DigestEntry.objects.filter(digest=value).values("paper_id"))

    def filter_both(self, queryset, name, value):
        if value is None:
            return queryset
        both = Q(abstract_en__isnull=False) & (Q(summary_zh__isnull=False) | Q(abstract_zh__isnull=False))
        return queryset.filter(both) if value else queryset.exclude(both)

    def filter_has_code(self, queryset, name, value):
        if value is None:
            return queryset
        with_code = Q(pk__in=PaperLink.objects.filter(kind=LinkKind.CODE).values("paper_id"))
        return queryset.filter(with_code) if value else queryset.exclude(with_code)

    @cached_property
    def newest_day(self):
        """The day `since` counts back from: the newest digest's (one lookup on digest_newest_idx)."""
        newest = Digest.objects.order_by("-published_on").values_list("published_on", flat=True).first()
        return windows.newest_day(newest, today=timezone.localdate())

    def filter_since(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(listed_on__gte=windows.since_start(value, newest_day=self.newest_day))

    def filter_from(self, queryset, name, value):
        return queryset.filter(listed_on__gte=value) if value else queryset

    def filter_to(self, queryset, name, value):
        return queryset.filter(listed_on__lte=value) if value else queryset

    def window(self):
        """The active window as (first day, last day), either end None when open; None without one."""
        active = self.active()
        if not any(name in active for name in WINDOW_PARAMS):
            return None
        since = active.get("since")
        start = windows.since_start(since, newest_day=self.newest_day) if since else None
        if "from" in active:
            start = max(start, active["from"]) if start else active["from"]
        end = active.get("to")
        if since:
            end = min(end, self.newest_day) if end else self.newest_day
        return start, end

    def filter_q(self, queryset, name, value):
        # Ranked best first; the lists order by date only when there is no query.
        return search.search(queryset, value) if value else queryset

    def search_query(self):
        """The parsed query (papers.search.Query) when `q` is active, else None."""
        text = self.active().get("q")
        return search.parse(text) if text else None

    def active(self):
        """The valid, non-empty parameters: what the page says it is showing, and what its feed keeps."""
        self.form.is_valid()
        return {k: v for k, v in self.form.cleaned_data.items() if v is not None and v != "" and v != []}

    def problems(self):
        """Parameter name → why its value was ignored, for the page to say (never a 500, never silence)."""
        self.form.is_valid()
        return {name: [str(message) for message in errors] for name, errors in self.form.errors.items()}

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

    def described(self):
        """What names this selection exactly, for the keys of what is kept of it under the site
        version (papers.pagecache): its valid filters, and the days a `since` window resolves to (on
        a site with no digest yet they follow the calendar, not a write). A digest."""
        named = (sorted(self.query_params().items()), self.window())
        return hashlib.sha256(repr(named).encode()).hexdigest()

    def qs_over(self, queryset):
        """The same filters over another queryset (a feed's validators count hidden papers too)."""
        self.form.is_valid()
        return self._apply(queryset, self.form.cleaned_data)

    def qs_without(self, name):
        """The selection with one filter left out: what facet counts for that filter are taken over."""
        self.form.is_valid()
        return self._apply(
            self.queryset.all(), {k: v for k, v in self.form.cleaned_data.items() if k != name}
        )

    def filter_queryset(self, queryset):
        return self._apply(queryset, self.form.cleaned_data)

    def _apply(self, queryset, values):
        # The search goes last: it keeps the newest matches of the selection the other filters made.
        for name in sorted(values, key=lambda name: name == "q"):
            queryset = self.filters[name].filter(queryset, values[name])
        return queryset


PaperFilter.base_filters["from"] = DayFilter(method="filter_from", label="from")
# The parameters that make the time window; its chip removes them all.
WINDOW_PARAMS = ("since", "from", "to")


def _param(value):
    return str(getattr(value, "slug", None) or getattr(value, "pk", None) or value)


@dataclass
class Precount:
    """A selection's counts as models.PaperCount holds them (see precount())."""

    institution_id: int  # the selection's one institution, or 0 for none
    area_ids: set  # the selected areas' ids; empty for every area
    by_area: dict  # area id → papers of the selection without its area filter (0: no area)
    unfiltered: dict  # the same without the institution filter

    @property
    def total(self):
        return sum(n for area, n in self.by_area.items() if not self.area_ids or area in self.area_ids)

    @property
    def total_without_institution(self):
        return sum(n for area, n in self.unfiltered.items() if not self.area_ids or area in self.area_ids)


def precount(filterset):
    """The selection's counts from models.PaperCount (one query on its key), or None when it does not
    hold them: they serve a list filtered by areas and at most one institution, and nothing else."""
    active = filterset.active()
    institutions = active.get("institution", [])
    if set(active) - {"area", "institution"} or len(institutions) > 1:
        return None
    key = institutions[0].pk if institutions else 0
    counts = Precount(key, {a.pk for a in filterset.areas if a.code in active.get("area", [])}, {}, {})
    rows = versioned(f"paper-counts:{key}", lambda: _paper_counts({0, key}))
    for institution_id, area_id, n in rows:
        if institution_id == key:
            counts.by_area[area_id] = n
        if institution_id == 0:
            counts.unfiltered[area_id] = n
    return counts


def _paper_counts(institution_ids):
    rows = PaperCount.objects.filter(institution_id__in=institution_ids)
    return list(rows.values_list("institution_id", "area_id", "n"))


def area_facets(papers, areas, precounted=None, cached=True):
    """Every area with the number of papers in the current selection: from its Precount when there is
    one, else one GROUP BY on the area index, cached like institution_facets()."""
    if precounted is not None:
        counts = precounted.by_area
    else:
        counts = dict(
            _selection_counts(
                "areas",
                papers,
                cached,
                # The selection's own GROUP BY: on the area index, no subquery.
                lambda _selection: list(papers.order_by().values_list("area_id").annotate(n=Count("pk"))),
            )
            or []
        )
    for area in areas:
        area.n = counts.get(area.pk, 0)
    return areas


def institution_facets(papers, limit=12, precounted=None, cached=True):
    """The institutions most represented in the current selection.

    A selection with no institution filter reads them from its Precount (models.PaperCount). Other
    selections group every affiliation of the selection, the most expensive query of a list page:
    its answer is cached under the selection's SQL and the site version (papers.pagecache), which
    moves with every write to what these counts and names are made of, so it is never stale; a
    selection made of rows the site version does not follow (a reading list's) says `cached=False`.
    """
    if precounted is not None and not precounted.institution_id:
        areas = sorted(precounted.area_ids)
        name = f"institution-facets:{limit}:{','.join(map(str, areas))}"
        return _institutions(versioned(name, lambda: _top_precounted(areas, limit)))
    top = _selection_counts(
        f"institutions-{limit}",
        papers,
        cached,
        lambda selection: list(
            Affiliation.objects.filter(paper__in=selection)
            .values_list(*INSTITUTION_FACET_FIELDS)
            .annotate(n=Count("paper_id"))
            .order_by("-n", "institution__name")[:limit]
        ),
    )
    return _institutions(top or [])


def _top_precounted(area_ids, limit):
    rows = PaperCount.objects.exclude(institution_id=0)
    if area_ids:
        rows = rows.filter(area_id__in=area_ids)
    return list(
        rows.values_list(*INSTITUTION_FACET_FIELDS)
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .order_by("-total", "institution__name")[:limit]
    )


def detail_facets(papers, cached=True):
    """{"kind": [(value, papers)], "country": [...]}: the institution kinds and countries of the
    selection's papers, most papers first; a paper counts once per value however many of its
    institutions have it. One query (a UNION of the two groupings), cached like institution_facets()."""
    rows = _selection_counts("institution-details", papers, cached, _count_details) or []
    facets = {field: [] for field in DETAIL_FACETS}
    for field, value, n in sorted(rows, key=lambda row: (row[0], -row[2], row[1])):
        facets[field].append((value, n))
    return facets


DETAIL_FACETS = ("kind", "country")


def _count_details(selection):
    groupings = [
        Affiliation.objects.filter(paper__in=selection)
        .exclude(**{f"institution__{field}": ""})
        .annotate(facet=Value(field), value=F(f"institution__{field}"))
        .values_list("facet", "value")
        .annotate(n=Count("paper_id", distinct=True))
        .order_by()
        for field in DETAIL_FACETS
    ]
    return list(groupings[0].union(*groupings[1:], all=True))


def _selection_counts(name, papers, cached, count):
    """`count(selection)` for a selection's ids subquery, cached under its SQL and the site version
    (papers.pagecache), which moves with every write to what the counts are made of, so it is never
    stale; None when the selection is empty by construction."""
    if papers.query.is_empty():  # e.g. a search with no searchable words: nothing to count
        return None
    selection = papers.order_by().values("pk")
    digest = _selection_digest(papers, selection)
    if digest is None:
        return None
    if not cached:
        return count(selection)
    # Counting is the costly part of a list page: worth a query for the version, even a curator's.
    return versioned(f"facets-{name}:{digest}", lambda: count(selection), read_version=True)


# The last selection digested, with its digest: a page's facets count one selection three times
# (areas, institutions, details), and a search's is `pk IN` up to 1,000 ids, whose SQL costs more
# to build than a cache read (1.5 ms). Held by identity: a queryset's SQL never changes.
_last_digest = (None, None)


def _selection_digest(papers, selection):
    global _last_digest
    last = _last_digest
    if last[0] is papers:
        return last[1]
    try:
        sql, params = selection.query.sql_with_params()
    except EmptyResultSet:  # e.g. `pk__in` an empty list of search results
        digest = None
    else:
        digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    _last_digest = (papers, digest)
    return digest


# What a facet shows of an institution.
INSTITUTION_FACET_FIELDS = (
    "institution_id", "institution__name", "institution__name_zh", "institution__slug",
)  # fmt: skip


def _institutions(top):
    institutions = []
    for pk, name, name_zh, slug, n in top:
        institution = Institution(pk=pk, name=name, name_zh=name_zh, slug=slug)
        institution.n = n
        institutions.append(institution)
    return institutions
