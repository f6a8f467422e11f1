"""The owner's forms. Lengths are bounded here, so an oversized value is refused with the field's
message and the stored one is left as it was."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_NAME_LENGTH, MAX_NOTE_LENGTH

# An arXiv id (new style, without version) or a link to a paper's page on this portal.
_ARXIV = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/)?(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?$")
_PAPER_PAGE = re.compile(r"(?:^|/)papers/(\d{1,18})/?$")


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=MAX_NOTE_LENGTH, required=False, widget=forms.Textarea)


class MoveForm(forms.Form):
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=1_000_000)


class AddForm(forms.Form):
    paper = forms.CharField(
        label=_("arXiv id or link to a paper on this site"),
        max_length=300,
    )

    def clean_paper(self):
        """{"arxiv_id": …} or {"pk": …}: what to look the paper up by."""
        value = self.cleaned_data["paper"].strip()
        if found := _PAPER_PAGE.search(value):
            return {"pk": int(found.group(1))}
        if found := _ARXIV.search(value):
            return {"arxiv_id": found.group(1)}
        raise forms.ValidationError(_("Give an arXiv id (such as 2301.00001) or the link to a paper's page."))
