"""The curators' admin. It collects input and shows state; every write goes through papers.curation."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import curation, duplicates, institutions
from .forms import (
    ConfirmImportForm,
    DigestDateForm,
    DigestUploadForm,
    MergeForm,
    NamedEntityForm,
    PaperForm,
    SuggestedMergeForm,
    sign_digests,
)
from .models import (
    TEXT_FIELDS,
    Affiliation,
    Area,
    Author,
    Authorship,
    Digest,
    DigestEntry,
    Institution,
    Paper,
    PaperLink,
    Source,
)

# --- filters ----------------------------------------------------------------------------------


class LanguageFilter(admin.SimpleListFilter):
    title = _("languages")
    parameter_name = "languages"

    def lookups(self, request, model_admin):
        return [
            ("both", _("Chinese and English")),
            ("zh", _("Chinese only")),
            ("en", _("English only")),
            ("none", _("neither")),
        ]

    def queryset(self, request, queryset):
        # Chinese text is a summary or an abstract; English text is the abstract.
        no_zh = Q(summary_zh__isnull=True, abstract_zh__isnull=True)
        no_en = Q(abstract_en__isnull=True)
        condition = {
            "both": ~no_zh & ~no_en,
            "zh": ~no_zh & no_en,
            "en": no_zh & ~no_en,
            "none": no_zh & no_en,
        }
        return queryset.filter(condition[self.value()]) if self.value() in condition else queryset


class ProvenanceFilter(admin.SimpleListFilter):
    title = _("provenance")
    parameter_name = "provenance"

    def lookups(self, request, model_admin):
        return [
            (Source.CURATOR, _("edited by a curator")),
            (Source.MACHINE_TRANSLATION, _("has machine translation")),
        ]

    def queryset(self, request, queryset):
        fields = [f"{f}_source" for f in TEXT_FIELDS]
        if self.value() == Source.CURATOR:
            fields += ["authors_source", "institutions_source", "links_source"]
        elif self.value() != Source.MACHINE_TRANSLATION:
            return queryset
        condition = Q()
        for field in fields:
            condition |= Q(**{field: self.value()})
        return queryset.filter(condition)


class ShortRelatedFilter(admin.RelatedFieldListFilter):
    """A related filter with a bounded sidebar: the most useful choices plus the one chosen.

    There are thousands of institutions and a digest a day; search finds the rest.
    """

    def field_choices(self, field, request, model_admin):
        chosen = [int(v) for v in self.lookup_val or [] if str(v).isdigit()]
        rows = list(self.choices_queryset()) + list(self.field.related_model.objects.filter(pk__in=chosen))
        return list(dict.fromkeys((row.pk, str(row)) for row in rows))


class DigestFilter(ShortRelatedFilter):
    def choices_queryset(self):
        return Digest.objects.order_by("-published_on", "-id")[:30]


class InstitutionFilter(ShortRelatedFilter):
    def choices_queryset(self):
        top = Institution.objects.canonical().annotate(n=Count("affiliations")).order_by("-n", "name")
        return top[:50]


class AliasFilter(admin.SimpleListFilter):
    """Merged rows are aliases kept for imports and old links; by default only canonical rows show."""

    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("aliases", _("Aliases only")), ("all", _("All"))]

    def queryset(self, request, queryset):
        if self.value() == "aliases":
            return queryset.filter(merged_into__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(merged_into__isnull=True)

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Canonical only"),
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


# --- papers -----------------------------------------------------------------------------------


class OrderedListInline(admin.TabularInline):
    """Positions only sort the rows: curation rewrites the list numbered 1..n (see save_formset)."""

    extra = 0
    ordering = ["position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.autocomplete_fields)


class AuthorshipInline(OrderedListInline):
    model = Authorship
    fields = ["position", "author"]
    autocomplete_fields = ["author"]
    verbose_name = _("author")
    verbose_name_plural = _("authors, in order")


class AffiliationInline(OrderedListInline):
    model = Affiliation
    fields = ["position", "institution"]
    autocomplete_fields = ["institution"]
    verbose_name = _("institution")
    verbose_name_plural = _("institutions, in order")


class PaperLinkInline(admin.TabularInline):
    """Links, in order; saving any change makes the list the curator's (see save_formset)."""

    model = PaperLink
    fields = ["position", "url", "kind", "source"]
    readonly_fields = ["source"]
    extra = 0
    ordering = ["position"]
    verbose_name = _("link")
    verbose_name_plural = _("code, project, data and model links, in order")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaperEntryInline(ReadOnlyInline):
    model = DigestEntry
    fields = readonly_fields = ["digest", "section", "number", "line", "position"]
    verbose_name_plural = _("digests this paper appeared in")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("digest")


def _text_row(field):
    return (field, f"{field}_source")


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    form = PaperForm
    list_display = [
        "title", "arxiv_id", "area", "listed_on", "is_published", "is_featured",
        "has_title", "has_english", "has_chinese", "has_institutions",
    ]  # fmt: skip
    list_display_links = ["title"]
    list_filter = [
        "area",
        "is_published",
        "is_featured",
        LanguageFilter,
        ProvenanceFilter,
        ("entries__digest", DigestFilter),
        ("institutions", InstitutionFilter),
    ]
    list_select_related = ["area"]
    search_fields = ["title_en", "title_zh", "^arxiv_id", "authors__name", "institutions__name"]
    search_help_text = _("Titles in either language, arXiv id, author or institution name.")
    readonly_fields = [
        *(f"{f}_source" for f in TEXT_FIELDS),
        "authors_source",
        "institutions_source",
        "links_source",
        "listed_digest",
        "listed_on",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["arxiv_id", "area", ("is_published", "is_featured")]}),
        (_("Titles"), {"fields": [_text_row("title_en"), _text_row("title_zh")]}),
        (
            _("Summary and abstracts"),
            {"fields": [_text_row("summary_zh"), _text_row("abstract_en"), _text_row("abstract_zh")]},
        ),
        (
            _("Authors and institutions"),
            {
                "fields": [("authors_truncated", "authors_source"), "institutions_source", "links_source"],
                "description": _("Edit the lists below; an edited list is never replaced by an import."),
            },
        ),
        (_("Listing"), {"fields": [("listed_digest", "listed_on"), ("created_at", "updated_at")]}),
    ]
    inlines = [AuthorshipInline, AffiliationInline, PaperLinkInline, PaperEntryInline]
    actions = ["publish", "hide", "feature", "unfeature"]

    def get_queryset(self, request):
        has_institutions = Exists(Affiliation.objects.filter(paper=OuterRef("pk")))
        return super().get_queryset(request).annotate(has_institutions=has_institutions)

    @admin.display(description=_("title"), ordering="title_en")
    def title(self, paper):
        return paper.display_title

    @admin.display(description=_("title?"), boolean=True)
    def has_title(self, paper):
        return paper.has_title

    @admin.display(description=_("EN abstract?"), boolean=True)
    def has_english(self, paper):
        return bool(paper.text_en)

    @admin.display(description=_("ZH text?"), boolean=True)
    def has_chinese(self, paper):
        return bool(paper.text_zh)

    @admin.display(description=_("institutions?"), boolean=True, ordering="has_institutions")
    def has_institutions(self, paper):
        return paper.has_institutions

    def save_model(self, request, obj, form, change):
        curation.save_paper_edit(paper=obj, changed_fields=form.changed_data)

    def save_formset(self, request, form, formset, change):
        setters = {
            Authorship: (curation.set_paper_authors, "author", "authors"),
            Affiliation: (curation.set_paper_institutions, "institution", "institutions"),
        }
        if formset.model is PaperLink:
            return self._save_links(form, formset)
        if formset.model not in setters:
            return super().save_formset(request, form, formset, change)
        setter, field, argument = setters[formset.model]
        # Not formset.save(): saving rows one by one collides with (paper, position) when two swap.
        formset.save(commit=False)  # only fills new/changed/deleted_objects for the history message
        if formset.has_changed():
            rows = sorted(
                (f.cleaned_data["position"], index, f.cleaned_data[field])
                for index, f in enumerate(formset.forms)
                if f.cleaned_data.get(field) and f not in formset.deleted_forms
            )
            setter(paper=form.instance, **{argument: [entity for *_order, entity in rows]})

    def _save_links(self, form, formset):
        # As for the lists above: rewritten whole, so two links can swap places or spellings.
        formset.save(commit=False)
        if formset.has_changed():
            rows = sorted(
                (f.cleaned_data.get("position") or 0, index, f.cleaned_data["url"], f.cleaned_data["kind"])
                for index, f in enumerate(formset.forms)
                if f.cleaned_data.get("url") and f not in formset.deleted_forms
            )
            curation.set_paper_links(paper=form.instance, links=[(url, kind) for *_order, url, kind in rows])

    @admin.action(description=_("Publish selected papers"), permissions=["change"])
    def publish(self, request, queryset):
        count = curation.set_published(papers=queryset, published=True, user=request.user)
        self.message_user(request, ngettext("%d paper published.", "%d papers published.", count) % count)

    @admin.action(description=_("Hide selected papers"), permissions=["change"])
    def hide(self, request, queryset):
        count = curation.set_published(papers=queryset, published=False, user=request.user)
        self.message_user(request, ngettext("%d paper hidden.", "%d papers hidden.", count) % count)

    @admin.action(description=_("Feature selected papers"), permissions=["change"])
    def feature(self, request, queryset):
        count = curation.set_featured(papers=queryset, featured=True, user=request.user)
        self.message_user(request, ngettext("%d paper featured.", "%d papers featured.", count) % count)

    @admin.action(description=_("Unfeature selected papers"), permissions=["change"])
    def unfeature(self, request, queryset):
        count = curation.set_featured(papers=queryset, featured=False, user=request.user)
        self.message_user(request, ngettext("%d paper unfeatured.", "%d papers unfeatured.", count) % count)


# --- authors and institutions -----------------------------------------------------------------


class NamedEntityAdmin(admin.ModelAdmin):
    form = NamedEntityForm
    list_display = ["name", "paper_count", "merged_into"]
    list_filter = [AliasFilter]
    search_fields = ["name", "aliases__name"]
    ordering = ["name"]  # the paper count's GROUP BY drops the model's ordering
    readonly_fields = ["slug", "merged_into", "alias_list", "paper_list"]
    actions = ["merge_selected"]
    # Set by the subclasses.
    link_name = paper_filter = merge = None

    def get_queryset(self, request):
        papers = Count(self.link_name, distinct=True)  # distinct: searching aliases joins more rows
        return super().get_queryset(request).select_related("merged_into").annotate(paper_count=papers)

    def get_fields(self, request, obj=None):
        return ["name", *self.readonly_fields] if obj else ["name"]

    def get_readonly_fields(self, request, obj=None):
        # An alias only points at its canonical row; its name is the spelling imports look up.
        return [*self.readonly_fields, "name"] if obj and obj.merged_into_id else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path == reverse("admin:autocomplete"):
            # Inline lists pick canonical rows; typing an alias finds the row it was merged into.
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset, may_have_duplicates

    @admin.display(description=_("papers"), ordering="paper_count")
    def paper_count(self, entity):
        return entity.paper_count

    @admin.display(description=_("aliases"))
    def alias_list(self, entity):
        aliases = entity.aliases.order_by("name")
        url_name = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        links = format_html_join(
            ", ", '<a href="{}">{}</a>', ((reverse(url_name, args=[a.pk]), a.name) for a in aliases)
        )
        return links or "–"

    @admin.display(description=_("papers"))
    def paper_list(self, entity):
        url = reverse("admin:papers_paper_changelist") + f"?{self.paper_filter}={entity.pk}"
        label = ngettext("%d paper", "%d papers", entity.paper_count) % entity.paper_count
        return format_html('<a href="{}">{}</a>', url, label)

    def save_model(self, request, obj, form, change):
        if not change or "name" not in form.changed_data:
            return super().save_model(request, obj, form, change)
        alias = curation.rename_entity(entity=obj, name=obj.name)
        if alias is not None:
            self.message_user(
                request,
                _("The old spelling “%s” is kept as an alias, so imports and old links find this one.")
                % alias.name,
            )

    @admin.action(description=_("Merge selected into one…"), permissions=["change"])
    def merge_selected(self, request, queryset):
        rows = list(queryset.order_by("name"))
        aliases = [row for row in rows if row.merged_into_id]
        if aliases:
            self.message_user(
                request,
                _("“%(alias)s” is already merged into “%(kept)s”; select that one instead.")
                % {"alias": aliases[0].name, "kept": aliases[0].merged_into.name},
                messages.ERROR,
            )
            return None
        if len(rows) < 2:
            self.message_user(request, _("Select at least two to merge."), messages.WARNING)
            return None
        form = MergeForm(request.POST if "confirm" in request.POST else None, queryset=queryset)
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            result = self.merge(keep=keep, others=[r for r in rows if r.pk != keep.pk], user=request.user)
            self.message_user(
                request,
                _("Merged %(count)d into “%(name)s”; %(papers)d papers now list it.")
                % {"count": len(result.merged), "name": keep.name, "papers": result.papers},
            )
            return None
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge %(name)s") % {"name": self.opts.verbose_name_plural},
            "opts": self.opts,
            "form": form,
            "rows": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/papers/merge.html", context)


# Why the duplicates page proposes a pair (papers.duplicates' rules).
DUPLICATE_REASONS = {
    duplicates.SAME_NAME: _("the same name once case, punctuation and a leading “The” are ignored"),
    duplicates.WORD_ORDER: _("“University of X” and “X University” (sometimes two places: check)"),
    duplicates.ACRONYM: _("one is the acronym of the other"),
    duplicates.KNOWN_SPELLING: _("both are known spellings of one institution"),
}


@admin.register(Institution)
class InstitutionAdmin(NamedEntityAdmin):
    link_name = "affiliations"
    paper_filter = "institutions__id__exact"
    merge = staticmethod(curation.merge_institutions)
    list_display = ["name", "name_zh", "kind", "country", "paper_count", "merged_into"]
    list_filter = [AliasFilter, "kind", "country"]
    search_fields = ["name", "name_zh", "short_names", "aliases__name"]
    readonly_fields = [*NamedEntityAdmin.readonly_fields, "reference_key", "details_curated"]

    def get_fields(self, request, obj=None):
        details = ["name", *Institution.DETAIL_FIELDS]
        return [*details, *self.readonly_fields] if obj else details

    def save_model(self, request, obj, form, change):
        # A curator's name or details win over every later load of the reference table.
        if change and {"name", *Institution.DETAIL_FIELDS} & set(form.changed_data):
            obj.details_curated = True
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view(self.duplicates_view)
        return [path("duplicates/", view, name="papers_institution_duplicates"), *super().get_urls()]

    def duplicates_view(self, request):
        """Likely duplicates, most papers first, each merged only by a curator's click (a POST)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = SuggestedMergeForm(request.POST, queryset=Institution.objects.all())
            if form.is_valid():
                keep, other = form.cleaned_data["keep"], form.cleaned_data["other"]
                result = curation.merge_institutions(keep=keep, others=[other], user=request.user)
                self.message_user(
                    request,
                    _("Merged “%(other)s” into “%(name)s”; %(papers)d papers now list it.")
                    % {"other": other.name, "name": keep.name, "papers": result.papers},
                )
            else:
                # Usually a second click, or another curator was faster: the pair is gone already.
                self.message_user(
                    request,
                    _("Not merged: one of the two is already merged or no longer exists."),
                    messages.WARNING,
                )
            return redirect(request.path)  # a reload never posts twice
        request.current_app = self.admin_site.name
        suggestions = curation.suggest_institution_merges(known_spellings=institutions.spelling_groups())
        context = {
            **self.admin_site.each_context(request),
            "title": _("Likely duplicate institutions"),
            "opts": self.opts,
            "rows": [(s, DUPLICATE_REASONS[s.reason]) for s in suggestions],
        }
        return TemplateResponse(request, "admin/papers/institution/duplicates.html", context)


@admin.register(Author)
class AuthorAdmin(NamedEntityAdmin):
    link_name = "authorships"
    paper_filter = "authors__id__exact"
    merge = staticmethod(curation.merge_authors)


# --- areas and digests ------------------------------------------------------------------------


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh"]
    search_fields = ["code", "name_en", "name_zh"]


class DigestEntryInline(ReadOnlyInline):
    model = DigestEntry
    fields = readonly_fields = ["position", "section", "number", "line", "arxiv_id", "paper"]
    verbose_name_plural = _("entries")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paper")


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    """Digests come from imports. A curator corrects a digest's date; a superuser may delete one.

    Both go through papers.curation, which re-lists the digest's papers and writes the history."""

    form = DigestDateForm
    list_display = ["name", "format", "published_on", "entry_count", "imported_at"]
    list_filter = ["format"]
    search_fields = ["name"]
    date_hierarchy = "published_on"
    fields = [
        "name", "format", "published_on", "reposted_from", "entry_count", "checksum", "imported_at",
        "summary_items", "legend",
    ]  # fmt: skip
    readonly_fields = [f for f in fields if f != "published_on"]
    inlines = [DigestEntryInline]

    def has_add_permission(self, request):
        return False  # digests come in through the import page, never by hand

    def save_model(self, request, obj, form, change):
        if "published_on" in form.changed_data:
            curation.set_digest_date(digest=obj, published_on=obj.published_on, user=request.user)

    def delete_model(self, request, obj):
        curation.delete_digests(digests=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        curation.delete_digests(digests=queryset, user=request.user)

    # curation writes the history, saying what moved; the admin's own entries would repeat it.
    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None

    def get_deleted_objects(self, objs, request):
        """The confirmation page also lists the papers that go with the digests (they appear nowhere else)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        papers = list(curation.papers_only_in(objs))
        if papers:
            label = capfirst(Paper._meta.verbose_name)
            url = "admin:papers_paper_change"
            deleted.append(
                [format_html('{}: <a href="{}">{}</a>', label, reverse(url, args=[p.pk]), p) for p in papers]
            )
            counts[Paper._meta.verbose_name_plural] = len(papers)
            if not request.user.has_perm("papers.delete_paper"):
                perms_needed.add(Paper._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="papers_digest_import"), *super().get_urls()]

    def import_view(self, request):
        """Upload or paste digests, preview the importer's dry run, then confirm to import."""
        if not request.user.has_perm("papers.add_digest"):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        context = {**self.admin_site.each_context(request), "title": _("Import digests"), "opts": self.opts}
        form, problem = DigestUploadForm(), None
        if request.method == "POST" and "confirm" in request.POST:
            confirm = ConfirmImportForm(request.POST, user=request.user)
            if confirm.is_valid():
                reports = curation.import_digests(files=confirm.cleaned_data["payload"], user=request.user)
                return self._import_page(request, context, reports=reports, done=True)
            problem = " ".join(confirm.errors.get("payload", []))
        elif request.method == "POST":
            # Checked before the files are touched: larger requests would not be held in memory.
            limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
            if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
                problem = _("The upload is larger than %(size)d MB in total; send fewer files at a time.") % {
                    "size": limit // (1024 * 1024)
                }
            else:
                form = DigestUploadForm(request.POST, request.FILES)
                if form.is_valid():
                    return self._preview(request, context, form.cleaned_data["digests"])
        return self._import_page(request, context, form=form, problem=problem)

    def _preview(self, request, context, digests):
        reports = curation.import_digests(files=digests, dry_run=True)
        importable = [d for d, r in zip(digests, reports, strict=True) if r.status == "imported"]
        confirm = None
        if importable:
            payload = sign_digests(importable, user=request.user)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit and len(payload) > limit - 10_000:
                problem = _("These files are too large to confirm together; import fewer at a time.")
                return self._import_page(request, context, form=DigestUploadForm(), problem=problem)
            confirm = ConfirmImportForm(initial={"payload": payload}, user=request.user)
        return self._import_page(request, context, reports=reports, confirm=confirm)

    def _import_page(self, request, context, **extra):
        return TemplateResponse(request, "admin/papers/digest/import.html", {**context, **extra})
