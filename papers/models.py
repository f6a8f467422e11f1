"""The schema, and the vocabulary the rest of the portal uses for it.

Each enumerated value is written once: choices name it (digest formats and entry sections take the
constants of papers.parsing, which stays free of Django), and CHECK constraints hold the columns to
the choices, since imports write around the ORM (papers.bulk). The rules every page, feed and
service share live here too: Paper.objects.published() (what the public sees), for_cards() (what a
paper card reads), kept_id() (how an alias leads to its kept row), display_title and bilingual_title
(a title for every paper, untitled ones included).
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from . import links, parsing, reference, urlbuild
from .cleaning import describe_control_characters, has_control_characters
from .names import normalize_name
from .parsing import AREA_CODE, MAX_ARXIV_ID_LENGTH, MAX_NAME_LENGTH, MAX_REPOSTED_FROM_LENGTH, TEXT_FIELDS


def no_control_characters(value):
    """Refuse text with control characters (see papers.cleaning): the admin names the field and them."""
    if has_control_characters(value):
        raise ValidationError(
            _("Remove the control characters from this text: %(found)s."),
            code="control_characters",
            params={"found": describe_control_characters(value)},
        )


# Every text a curator can edit is checked; the importer removes these characters while parsing.
CLEAN_TEXT = [no_control_characters]


def slug_base(name):
    """The start of a name's slug (a number or hash follows it when another row has it)."""
    return slugify(name, allow_unicode=True)[:80].strip("-")


def unique_slug(model, name, *, fallback):
    base = slug_base(name) or fallback
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class Source(models.TextChoices):
    """Where a text field's current value came from."""

    DIGEST = "digest", _("from the digest")
    MACHINE_TRANSLATION = "machine_translation", _("machine translation (Google)")
    CURATOR = "curator", _("edited by a curator")


def validate_area_code(value):
    # The parser's rule (parsing.AREA_CODE). The code is also a URL part (/areas/<CODE>/, its feeds,
    # the OPML file): one with a slash would not reverse, and every page linking areas would answer 500.
    if not isinstance(value, str) or AREA_CODE.fullmatch(value) is None:
        raise ValidationError(_("An area code is 2 to 8 ASCII letters, such as LG."), code="invalid")


class Area(models.Model):
    # Stored upper-case, as digests print it and as /areas/<CODE>/ looks it up.
    code = models.CharField(max_length=8, unique=True, validators=[validate_area_code])
    name_en = models.CharField(max_length=100, validators=CLEAN_TEXT)
    name_zh = models.CharField(max_length=100, validators=CLEAN_TEXT)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.name_en}"

    def save(self, *args, **kwargs):
        self.code = self.code.upper()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return urlbuild.url("papers:area", self.code)

    def clean(self):
        # Before the uniqueness check, so "cv" clashes with "CV" as a form error, not an IntegrityError.
        self.code = self.code.upper()


def one_of(field, choices, *, name, blank=False):
    """A CHECK constraint: `field` holds one of `choices`' values (or "", if `blank`).

    The importer writes rows with raw INSERT and COPY (papers.bulk), which no model validation sees,
    so the database itself refuses a value the code does not know.
    """
    values = [*choices.values, *([""] if blank else [])]
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name)


def kept_id(pk, merged_into):
    """The id of the row an author or institution with id `pk` stands for: its merges followed to a
    row that is merged into nothing. The one rule for following aliases (NamedEntity.canonical(), and
    through it curation, uses it; so can any code holding the links in a dict).

    `merged_into(pk)` gives the id the row was merged into, or None for a kept row: a dict's .get, or
    a function that reads the rows. Merges flatten chains (papers.curation._merge), so an alias is one
    step from its kept row; longer chains and cycles only come from rows edited by hand, and a cycle
    stops at the first row seen again instead of hanging.
    """
    seen = set()
    while pk not in seen and (target := merged_into(pk)) is not None:
        seen.add(pk)
        pk = target
    return pk


class MergeableQuerySet(models.QuerySet):
    def canonical(self):
        return self.filter(merged_into__isnull=True)


class NamedEntity(models.Model):
    """An author or an institution: one row per normalized name, merged rows kept as aliases."""

    name = models.CharField(max_length=MAX_NAME_LENGTH, validators=CLEAN_TEXT)
    normalized_name = models.CharField(max_length=MAX_NAME_LENGTH, unique=True, editable=False)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    # A merged row stays as an alias so later imports and old URLs find the kept one.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="aliases"
    )

    objects = MergeableQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = " ".join(self.name.split())
        self.normalized_name = normalize_name(self.name)
        if not self.slug:
            self.slug = unique_slug(type(self), self.name, fallback=type(self).__name__.lower())
        super().save(*args, **kwargs)

    def canonical(self):
        """The row this one stands for: itself, or its kept row by kept_id(), reading each merged_into
        row as the rule follows it (a query per step, none for a kept row)."""
        rows = {self.pk: self}

        def merged_into(pk):
            row = rows[pk]
            if row.merged_into_id is not None and row.merged_into_id not in rows:
                rows[row.merged_into_id] = row.merged_into
            return row.merged_into_id

        return rows[kept_id(self.pk, merged_into)]


class Author(NamedEntity):
    def get_absolute_url(self):
        return urlbuild.url("papers:author", self.slug)


def split_short_names(text):
    """Institution.short_names as a list ("THU, Tsinghua" → ["THU", "Tsinghua"])."""
    return [name.strip() for name in text.split(",") if name.strip()]


class InstitutionKind(models.TextChoices):
    UNIVERSITY = reference.UNIVERSITY, _("university")
    COMPANY = reference.COMPANY, _("company")
    LAB = reference.LAB, _("research lab")
    NONPROFIT = reference.NONPROFIT, _("government or non-profit")


class Institution(NamedEntity):
    """An institution; a kept row carries its details (the reference table's, or a curator's)."""

    name_zh = models.CharField(
        _("Chinese name"),
        max_length=MAX_NAME_LENGTH,
        blank=True,
        default="",
        db_default="",
        validators=CLEAN_TEXT,
    )
    # Shown beside the name and searchable (THU, CMU); spellings a digest prints are alias rows.
    short_names = models.CharField(
        _("short names"),
        max_length=MAX_NAME_LENGTH,
        blank=True,
        default="",
        db_default="",
        validators=CLEAN_TEXT,
        help_text=_("Separated by commas, e.g. “CMU”."),
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=InstitutionKind.choices, blank=True, default="", db_default=""
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        default="",
        db_default="",
        validators=[RegexValidator(reference.COUNTRY, _("Two capital letters, as ISO 3166 writes them."))],
        help_text=_("ISO 3166 code, e.g. CN or US."),
    )
    # The reference table entry (papers.reference) this row stands for, if any.
    reference_key = models.CharField(max_length=40, blank=True, default="", db_default="", editable=False)
    # A curator edited the details: loading the reference table no longer changes them.
    details_curated = models.BooleanField(default=False, db_default=False, editable=False)

    DETAIL_FIELDS = ("name_zh", "short_names", "kind", "country")

    class Meta(NamedEntity.Meta):
        constraints = [
            one_of("kind", InstitutionKind, name="institution_kind_valid", blank=True),
            models.UniqueConstraint(
                fields=["reference_key"],
                condition=~Q(reference_key=""),
                name="institution_reference_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["country"], name="institution_country_idx")]

    def get_absolute_url(self):
        return urlbuild.url("papers:institution", self.slug)

    @property
    def short_name_list(self):
        return split_short_names(self.short_names)

    def names_in(self, language):
        """(the name to show first, the other or None) for an interface language code."""
        if language.startswith("zh") and self.name_zh:
            return self.name_zh, self.name
        return self.name, self.name_zh or None


class ReferenceInstitution(models.Model):
    """An entry of the loaded reference table (papers.reference): what the importer maps spellings to."""

    key = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    name_zh = models.CharField(max_length=MAX_NAME_LENGTH)
    short_names = models.CharField(max_length=MAX_NAME_LENGTH, blank=True)
    kind = models.CharField(max_length=12, choices=InstitutionKind.choices)
    country = models.CharField(max_length=2)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.name


class ReferenceSpelling(models.Model):
    normalized_name = models.CharField(max_length=MAX_NAME_LENGTH, unique=True)
    spelling = models.CharField(max_length=MAX_NAME_LENGTH)
    entry = models.ForeignKey(ReferenceInstitution, on_delete=models.CASCADE, related_name="spellings")

    def __str__(self):
        return self.spelling


class ReferenceCountry(models.Model):
    code = models.CharField(max_length=2, unique=True)
    name_en = models.CharField(max_length=100)
    name_zh = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name_en


class ReferenceLoad(models.Model):
    """Each load of the reference table: which file version, when, and what it matched."""

    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)
    entries = models.PositiveIntegerField()
    matched = models.PositiveIntegerField(help_text=_("Stored institutions it matched."))
    merged = models.PositiveIntegerField(help_text=_("Stored rows it merged as spellings of one entry."))

    class Meta:
        ordering = ["-loaded_at", "-id"]
        get_latest_by = "loaded_at"

    def __str__(self):
        return f"{self.checksum[:12]} at {self.loaded_at:%Y-%m-%d %H:%M}"


# A digest's format and an entry's section are the parser's values (papers.parsing, which stays free
# of Django), written there once: what it parses is stored as it is, and code and templates compare
# against these choices.
class DigestFormat(models.TextChoices):
    DAILY = parsing.DAILY, _("daily digest")
    STREAM = parsing.STREAM, _("abstract stream")


class Digest(models.Model):
    name = models.CharField(max_length=255, unique=True, help_text=_("File name, as imported."))
    format = models.CharField(max_length=10, choices=DigestFormat.choices)
    checksum = models.CharField(max_length=64, unique=True, help_text=_("SHA-256 of the file's bytes."))
    published_on = models.DateField(help_text=_("Date in the file name, or the import date."))
    # Where the digest was reposted from, as printed; not provenance (Source, the *_source fields).
    reposted_from = models.CharField(
        _("reposted from"),
        max_length=MAX_REPOSTED_FROM_LENGTH,
        blank=True,
        validators=CLEAN_TEXT,
        help_text=_("The digest's “转自…” line, as printed."),
    )
    summary_items = models.JSONField(default=list, blank=True)
    legend = models.JSONField(default=dict, blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        constraints = [one_of("format", DigestFormat, name="digest_format_valid")]
        indexes = [
            # /digests/ lists newest first.
            models.Index(fields=["-published_on", "-id"], name="digest_newest_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return urlbuild.url("papers:digest", self.pk)


# A paper's provenance columns: one per text field, and one per list (authors, institutions).
PROVENANCE_FIELDS = (
    *(f"{f}_source" for f in TEXT_FIELDS), "authors_source", "institutions_source", "links_source",
)  # fmt: skip
# Lists, feeds and searches (among equal ranks): newest digest first, then as the digest printed them.
NEWEST_FIRST = ("-listed_on", "-listed_digest_id", "listed_position", "-id")


def ordered_people():
    """The prefetches Paper.ordered_authors() and ordered_institutions() read: each list in order."""
    return [
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")),
        Prefetch(
            "affiliations", queryset=Affiliation.objects.select_related("institution").order_by("position")
        ),
    ]


class PaperQuerySet(models.QuerySet):
    def published(self):
        """The one visibility rule: every public page, feed and search goes through it."""
        return self.filter(is_published=True)

    def for_cards(self):
        """Everything a paper card (templates/papers/includes/paper_card.html) shows, in a constant
        number of queries: the one definition, for lists, searches, feeds, a paper's page and (as
        `Prefetch("paper", queryset=Paper.objects.for_cards())`) a digest's entries."""
        return (
            self.select_related("area", "listed_digest")
            .prefetch_related(*ordered_people())
            .annotate(code_url=first_code_url())
        )

    def newest_first(self):
        return self.order_by(*NEWEST_FIRST)


class Paper(models.Model):
    arxiv_id = models.CharField(
        max_length=MAX_ARXIV_ID_LENGTH,
        null=True,
        blank=True,
        help_text=_("Without version, e.g. 2209.10655."),
    )
    # paper_area_counts_idx (area, is_published) covers lookups by area.
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="papers", db_index=False
    )

    # Missing text is NULL, never "" (the export contract); save() enforces it for forms too.
    title_en = models.TextField(null=True, blank=True, validators=CLEAN_TEXT)
    title_zh = models.TextField(null=True, blank=True, validators=CLEAN_TEXT)
    summary_zh = models.TextField(null=True, blank=True, validators=CLEAN_TEXT)
    abstract_en = models.TextField(null=True, blank=True, validators=CLEAN_TEXT)
    abstract_zh = models.TextField(null=True, blank=True, validators=CLEAN_TEXT)
    title_en_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    title_zh_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    summary_zh_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    abstract_en_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    abstract_zh_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    # Author and institution lists have a provenance too, so an import never undoes a curator's list.
    authors_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    institutions_source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    # And so has the list of links (PaperLink): a curator's additions and removals stay.
    links_source = models.CharField(max_length=20, choices=Source.choices, blank=True)

    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    authors_truncated = models.BooleanField(
        default=False, help_text=_("The digest ended the list with “...”.")
    )
    institutions = models.ManyToManyField(Institution, through="Affiliation", related_name="papers")

    is_published = models.BooleanField(default=True, help_text=_("Hidden papers leave every page and feed."))
    is_featured = models.BooleanField(default=False)

    # Denormalized from the newest digest the paper appeared in, so lists sort without a join.
    listed_digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    listed_on = models.DateField(null=True, blank=True, editable=False)
    listed_position = models.PositiveIntegerField(default=0, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = list(NEWEST_FIRST)
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=Q(arxiv_id__isnull=False), name="paper_unique_arxiv_id"
            ),
            # "" is no provenance: a field with no value, or a list the digests never gave.
            *(one_of(field, Source, name=f"paper_{field}_valid", blank=True) for field in PROVENANCE_FIELDS),
        ]
        indexes = [
            # Home page and feeds: published papers, newest digest first. Partial (published only): the
            # pages' `WHERE is_published` matches the index's condition, so the sort comes from the index.
            models.Index(
                fields=["-listed_on", "-listed_digest", "listed_position", "-id"],
                condition=Q(is_published=True),
                name="paper_listing_idx",
            ),
            # Area pages and ?area= filters: the same order within one area.
            models.Index(
                fields=["area", "-listed_on", "-listed_digest", "listed_position", "-id"],
                condition=Q(is_published=True),
                name="paper_area_listing_idx",
            ),
            # Result counts and area facet counts of list pages: read from this covering index instead
            # of the paper rows (at 100,000 papers, 10 ms instead of 100-200 ms).
            models.Index(fields=["area", "is_published"], name="paper_area_counts_idx"),
            # Feeds' ETag/Last-Modified: the newest change among a feed's papers, hidden ones included
            # (hiding a paper must move the date too).
            models.Index(fields=["-updated_at"], name="paper_updated_idx"),
            # Search (papers.search) joins each match to its paper by id: this covers the published
            # check and the tie-breaking order, so ranking and counting never read the large paper rows
            # (at 100,000 papers on SQLite, a search matching 5% of them: 15 ms instead of 40 ms).
            models.Index(
                fields=["id", "is_published", "listed_on", "listed_digest", "listed_position"],
                name="paper_search_join_idx",
            ),
        ]

    def __str__(self):
        return self.display_title

    def save(self, *args, **kwargs):
        for field in TEXT_FIELDS:
            value = getattr(self, field)
            if value is not None:
                value = value.strip()
            setattr(self, field, value or None)
        if self.arxiv_id is not None:
            self.arxiv_id = self.arxiv_id.strip() or None
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return urlbuild.url("papers:paper", self.pk)

    # A paper the digests gave no title (an abstract-stream line) stands in with the start of its text,
    # behind a label saying so, so that nobody takes it for the real title. Pages label it in the
    # reader's language (templates/papers/includes/title.html); feeds, read in either, in both.
    UNTITLED_LABEL = _("Untitled:")
    UNTITLED_LABEL_BILINGUAL = "[Untitled / 无标题]"

    @property
    def display_title(self):
        """A title for every paper, in plain text (page titles, the admin); see UNTITLED_LABEL."""
        if self.has_title:
            return self.title_en or self.title_zh
        return f"{self.UNTITLED_LABEL} {self.excerpt}"

    @property
    def bilingual_title(self):
        """A feed item's title: both titles when the digests gave two, else as display_title, with the
        label of an untitled paper in both languages."""
        if self.title_en and self.title_zh:
            return f"{self.title_en} / {self.title_zh}"
        if self.has_title:
            return self.title_en or self.title_zh
        return f"{self.UNTITLED_LABEL_BILINGUAL} {self.excerpt}"

    @property
    def excerpt(self):
        """The start of the paper's text, standing in for a title the digests did not give."""
        return shorten(self.abstract_en or self.summary_zh or self.abstract_zh or "…")

    @property
    def excerpt_lang(self):
        return "en" if self.abstract_en else "zh-Hans"

    @property
    def has_title(self):
        return bool(self.title_en or self.title_zh)

    @property
    def text_zh(self):
        return self.summary_zh or self.abstract_zh

    @property
    def text_en(self):
        return self.abstract_en

    @property
    def arxiv_abs_url(self):
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def arxiv_pdf_url(self):
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None

    def provenance(self):
        """Field name → source, for every text field that has one."""
        return {f: getattr(self, f"{f}_source") for f in TEXT_FIELDS if getattr(self, f"{f}_source")}

    def ordered_authors(self):
        # One query per paper unless its queryset prefetched ordered_people() (for_cards() does).
        return [a.author for a in self.authorships.all()]

    def ordered_institutions(self):
        return [a.institution for a in self.affiliations.all()]


def shorten(text, width=80):
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class Authorship(models.Model):
    # No single-column indexes on the keys: the unique (paper, position) and authorship_author_idx
    # lead with them, and every extra index is one more write per author of every imported paper.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships", db_index=False)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships", db_index=False)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="authorship_unique_position"),
        ]
        indexes = [
            # Author pages and ?author= filters: the papers of one author.
            models.Index(fields=["author", "paper"], name="authorship_author_idx"),
        ]

    def __str__(self):
        return f"{self.position}. {self.author}"


class Affiliation(models.Model):
    # As for Authorship: the unique (paper, position) and affiliation_institution_idx cover the keys.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="affiliations", db_index=False)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="affiliations", db_index=False
    )
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="affiliation_unique_position"),
        ]
        indexes = [
            # Institution pages, ?institution= filters and institution facet counts.
            models.Index(fields=["institution", "paper"], name="affiliation_institution_idx"),
        ]

    def __str__(self):
        return f"{self.position}. {self.institution}"


class LinkKind(models.TextChoices):
    # The values are papers.links' (pure, free of Django), as for DigestFormat and Section.
    CODE = links.CODE, _("code")
    PROJECT = links.PROJECT, _("project page")
    DATA = links.DATA, _("data")
    MODEL = links.MODEL, _("model")


def validate_link_url(value):
    """The importer's rule for a link (papers.links.clean), for a curator's: http(s) to a real host.
    curation.set_paper_links stores the cleaned form (host in lower case, no trailing full stop)."""
    if links.clean(value) is None:
        raise ValidationError(
            _("A link is an http:// or https:// address of a named host, with no user name or password."),
            code="invalid",
        )


class PaperLink(models.Model):
    """A code, project, data or model link of a paper: found in its texts by the importer
    (papers.links), or given by a curator. The paper's links_source says whose the list is."""

    # The unique (paper, url) covers lookups by paper.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="links", db_index=False)
    url = models.CharField(max_length=links.MAX_URL_LENGTH, validators=[validate_link_url])
    kind = models.CharField(max_length=10, choices=LinkKind.choices)
    # Where this link came from: a digest's text, or a curator who added it.
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.CURATOR, editable=False)
    position = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "url"], name="paperlink_unique_url"),
            one_of("kind", LinkKind, name="paperlink_kind_valid"),
            one_of("source", Source, name="paperlink_source_valid"),
        ]
        indexes = [
            # ?has_code=1: the papers with a code link, read from the index alone.
            models.Index(fields=["kind", "paper"], name="paperlink_kind_idx"),
        ]

    def __str__(self):
        return self.url


def first_code_url():
    """A paper's first code link, as a subquery: cards show it without a query of their own."""
    code = PaperLink.objects.filter(paper=models.OuterRef("pk"), kind=LinkKind.CODE).order_by("position")
    return models.Subquery(code.values("url")[:1])


class Section(models.TextChoices):
    """Where in its digest an entry was printed."""

    MAIN = parsing.MAIN, _("main list")
    OTHER = parsing.OTHER, _("also worth reading")
    STREAM = parsing.STREAM_SECTION, _("abstract stream")


class DigestEntry(models.Model):
    """One appearance of a paper in a digest, with what that digest said, as written.

    Keeping each digest's own text lets the paper's fields be recomputed from all its appearances
    in a fixed order, so the order in which files are imported never changes the result.
    """

    # The unique (digest, position) covers lookups by digest.
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="entries", db_index=False)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(help_text=_("1-based, main entries then the other list."))
    section = models.CharField(max_length=10, choices=Section.choices)
    number = models.PositiveIntegerField(null=True, blank=True, help_text=_("Number as printed."))
    line = models.PositiveIntegerField(help_text=_("Line in the file where the entry starts."))

    arxiv_id = models.CharField(max_length=MAX_ARXIV_ID_LENGTH, null=True, blank=True)
    area_code = models.CharField(max_length=8, null=True, blank=True)
    title_en = models.TextField(null=True, blank=True)
    title_zh = models.TextField(null=True, blank=True)
    summary_zh = models.TextField(null=True, blank=True)
    abstract_en = models.TextField(null=True, blank=True)
    abstract_zh = models.TextField(null=True, blank=True)
    authors = models.JSONField(default=list, blank=True)
    authors_truncated = models.BooleanField(default=False)
    institutions = models.JSONField(default=list, blank=True)
    machine_translated = models.JSONField(default=list, blank=True)
    # SHA-256 of each trimmed abstract: a stream line joins the paper whose abstract it repeats.
    abstract_en_key = models.CharField(max_length=64, null=True, blank=True)
    abstract_zh_key = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["digest", "position"]
        verbose_name_plural = "digest entries"
        constraints = [
            models.UniqueConstraint(fields=["digest", "position"], name="entry_unique_position"),
            one_of("section", Section, name="entry_section_valid"),
        ]
        indexes = [
            # Import dedupe: find the paper an identical abstract already belongs to.
            models.Index(fields=["abstract_en_key"], name="entry_abstract_en_key_idx"),
            models.Index(fields=["abstract_zh_key"], name="entry_abstract_zh_key_idx"),
        ]

    def __str__(self):
        return f"{self.digest.name} #{self.position}"


class SearchEntry(models.Model):
    """A paper's row in the full-text index: derived text, written only by papers.search.

    Migration 0004 creates the table for each backend, so Django does not manage it: on SQLite an
    FTS5 virtual table (rowid = paper id); on PostgreSQL a table whose stored, generated `document`
    tsvector has the GIN index `papers_search_document_gin` (used by /search/ and `?q=` on every
    paper list). The columns hold index text (CJK as bigrams), not text to show.
    """

    paper = models.OneToOneField(
        Paper,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        # No foreign key (migration 0004 says why): the post_delete signal in papers.signals removes
        # the row with its paper, and searches join to papers, so a stray row would match nothing.
        on_delete=models.DO_NOTHING,
        related_name="search_entry",
    )
    title = models.TextField()
    people = models.TextField()
    body = models.TextField()

    class Meta:
        managed = False
        db_table = "papers_search"

    def __str__(self):
        return f"search index of paper #{self.paper_id}"


# The tables pages, feeds and searches are made of (the search index only changes with papers): each
# has the triggers that move the site version (papers.bulk.watch_for_site_version), made by the
# migration that created it or by 0012. A new table that pages show goes here and gets its triggers.
SITE_VERSION_TABLES = [
    "papers_paper", "papers_author", "papers_institution", "papers_area", "papers_digest",
    "papers_digestentry", "papers_authorship", "papers_affiliation", "papers_paperlink",
    "papers_papercount", "papers_referencecountry",
]  # fmt: skip


class PaperCount(models.Model):
    """How many published papers each (institution, area) has: the counts list pages show.

    Counting a selection of 100,000 papers took 50-250 ms a query, and a list page made three such
    queries (its count, its area facets, its institution facets); these rows answer them in one
    index lookup for any list filtered by areas and at most one institution (papers.filters.precount).
    Database triggers (papers.bulk.count_published_papers, migration 0013) keep them exact in the
    writer's own transaction, whoever writes: an import's COPY, a curator's hide, a merge's re-pointed
    affiliations, raw SQL. Institution 0 holds every published paper, area 0 papers without an area.
    """

    # Keys, not constraints: row 0 stands for "every institution" / "no area"; the triggers write here.
    institution = models.ForeignKey(
        Institution, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    area = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # List pages read one institution's rows (0 for no institution filter) by this index.
            models.UniqueConstraint(fields=["institution", "area"], name="papercount_unique_key"),
        ]

    def __str__(self):
        return f"{self.n} papers of institution #{self.institution_id} in area #{self.area_id}"


class SiteVersion(models.Model):
    """One row whose number moves with every write to the tables pages are made of.

    Database triggers (migration 0012) bump it in the same transaction as the write, whoever makes
    it: the importer's raw COPY, a curator's bulk update, a signal, a superuser in a shell. The page
    cache (papers.pagecache) keys every page by it, so no reader is ever served a page from before a
    change, whichever process made the change.
    """

    version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"site version {self.version}"
