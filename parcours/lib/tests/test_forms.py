"""Shared form fields (lib/forms.py)."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from parcours.lib.forms import MultipleFileField


def _files(n):
    return [SimpleUploadedFile(f"f{i}.pdf", b"%PDF-1.4 x", "application/pdf") for i in range(n)]


def test_at_most_ten_files_by_default_with_a_french_message():
    field = MultipleFileField()
    assert len(field.clean(_files(10))) == 10
    with pytest.raises(forms.ValidationError, match="10 fichiers au plus par envoi"):
        field.clean(_files(11))


def test_the_limit_can_be_raised_for_a_batch():
    assert len(MultipleFileField(max_files=100).clean(_files(30))) == 30
