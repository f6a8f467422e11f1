"""Forms of the curators' admin: paper edits, names, merges and digest import."""

import base64

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .importing import latest_digest_date
from .models import TEXT_FIELDS, Digest, Paper, normalize_name

MAX_FILE_SIZE = 2 * 1024 * 1024
MAX_FILES = 20
# How long a preview can be confirmed; the signed payload carries the files until then.
PREVIEW_MAX_AGE = 60 * 60
SIGNING_SALT = "papers.admin.import"


class CuratedTextField(forms.CharField):
    """Browsers post textarea line breaks as CRLF; without folding them an untouched multi-line text
    would count as changed and be marked as the curator's."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class PaperForm(forms.ModelForm):
    class Meta:
        model = Paper
        fields = [
            "arxiv_id", "area", "is_published", "is_featured", *TEXT_FIELDS, "authors_truncated",
        ]  # fmt: skip
        field_classes = dict.fromkeys(TEXT_FIELDS, CuratedTextField)
        widgets = {
            "title_en": forms.Textarea(attrs={"rows": 2, "lang": "en"}),
            "title_zh": forms.Textarea(attrs={"rows": 2, "lang": "zh-Hans"}),
            "summary_zh": forms.Textarea(attrs={"rows": 5, "lang": "zh-Hans"}),
            "abstract_en": forms.Textarea(attrs={"rows": 8, "lang": "en"}),
            "abstract_zh": forms.Textarea(attrs={"rows": 8, "lang": "zh-Hans"}),
        }


class NamedEntityForm(forms.ModelForm):
    """An author's or institution's name; two rows may not share a spelling once case and spacing fold."""

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        key = normalize_name(name)
        if not key:
            raise forms.ValidationError(_("Enter a name."))
        model = self._meta.model
        clash = model.objects.filter(normalized_name=key).exclude(pk=self.instance.pk).first()
        if clash is not None:
            raise forms.ValidationError(
                _("“%(name)s” already exists under that spelling; merge the two instead."),
                params={"name": clash.canonical().name},
            )
        return name


class DigestDateForm(forms.ModelForm):
    """A digest's date, the one thing about a digest a curator corrects (a typo in its file name)."""

    class Meta:
        model = Digest
        fields = ["published_on"]

    def clean_published_on(self):
        date = self.cleaned_data["published_on"]
        if date > latest_digest_date(timezone.localdate()):
            raise forms.ValidationError(
                _(
                    "A digest cannot be dated more than a day after today: it would stay at the top "
                    "of every list until then."
                )
            )
        return date


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=None, widget=forms.RadioSelect, empty_label=None, label=_("Keep this one")
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = queryset
        self.fields["keep"].label_from_instance = self.label

    @staticmethod
    def label(entity):
        count = entity.paper_count
        text = ngettext("%(name)s (%(count)d paper)", "%(name)s (%(count)d papers)", count)
        return text % {"name": entity.name, "count": count}


class SuggestedMergeForm(forms.Form):
    """One click on the duplicates page: merge `other` into `keep`, both still canonical and two rows."""

    keep = forms.ModelChoiceField(queryset=None)
    other = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = self.fields["other"].queryset = queryset.filter(merged_into=None)

    def clean(self):
        data = super().clean()
        if data.get("keep") is not None and data.get("keep") == data.get("other"):
            raise forms.ValidationError(_("An institution cannot be merged into itself."))
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".txt,text/plain"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def default_paste_name():
    # The date in the name dates the digest, as for files.
    return timezone.localtime().strftime("pasted-%Y-%m-%d-%H%M.txt")


class DigestUploadForm(forms.Form):
    files = MultipleFileField(
        required=False,
        label=_("Digest files"),
        help_text=_("Up to %(count)s files, each at most %(size)s MB.")
        % {"count": MAX_FILES, "size": MAX_FILE_SIZE // (1024 * 1024)},
    )
    text = forms.CharField(
        required=False,
        strip=False,
        label=_("Or paste a digest"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100}),
    )
    text_name = forms.CharField(
        required=False,
        max_length=255,
        label=_("Name for the pasted digest"),
        help_text=_("A digest's name is its identity; a date in it dates the digest."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text_name"].initial = default_paste_name()

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Upload at most %(max)s files at a time (you chose %(count)s)."),
                params={"max": MAX_FILES, "count": len(files)},
            )
        for upload in files:
            if upload.size > MAX_FILE_SIZE:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(size)s MB."),
                    params={"name": upload.name, "size": MAX_FILE_SIZE // (1024 * 1024)},
                )
        return files

    def clean_text_name(self):
        name = self.cleaned_data["text_name"].strip() or default_paste_name()
        if "/" in name or "\\" in name:
            raise forms.ValidationError(_("A name cannot contain slashes."))
        return name

    def clean(self):
        cleaned = super().clean()
        digests = [(upload.name, upload.read()) for upload in cleaned.get("files") or []]
        text = (cleaned.get("text") or "").replace("\r\n", "\n")
        if text.strip() and cleaned.get("text_name"):
            data = text.encode()
            if len(data) > MAX_FILE_SIZE:
                self.add_error("text", _("The pasted text is larger than 2 MB."))
            digests.append((cleaned["text_name"], data))
        if not digests and not self.errors:
            raise forms.ValidationError(_("Choose at least one file or paste a digest."))
        names = [name for name, _data in digests]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise forms.ValidationError(
                _("Two digests are named %(names)s; a digest's name is its identity."),
                params={"names": ", ".join(duplicates)},
            )
        cleaned["digests"] = digests
        return cleaned


def sign_digests(digests, *, user):
    """The previewed files, carried to the confirm step in a hidden field the client cannot alter."""
    files = [[name, base64.b64encode(data).decode()] for name, data in digests]
    return signing.dumps({"user": user.pk, "files": files}, salt=SIGNING_SALT, compress=True)


class ConfirmImportForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_payload(self):
        try:
            data = signing.loads(self.cleaned_data["payload"], salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
        except signing.SignatureExpired as err:
            raise forms.ValidationError(_("This preview is more than an hour old; upload again.")) from err
        except signing.BadSignature as err:
            raise forms.ValidationError(_("This preview was altered; upload the files again.")) from err
        if data.get("user") != self.user.pk:
            raise forms.ValidationError(_("This preview belongs to another user; upload the files again."))
        return [(name, base64.b64decode(b64)) for name, b64 in data["files"]]
