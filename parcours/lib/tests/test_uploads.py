"""File names of uploads and downloads: no header breaking, the detected type's extension."""

import pytest
from django.core.mail import EmailMessage

from parcours.lib.uploads import safe_file_name


@pytest.mark.parametrize(
    "name, content_type, expected",
    [
        ("cr.exe", "application/pdf", "cr.pdf"),  # served with the type it really is
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("scan", "image/png", "scan.png"),
        ("Bilan 21.11.2026", "application/pdf", "Bilan 21.11.2026.pdf"),  # a date is no extension
        ("a\r\nBcc: evil@x.invalid.pdf", "application/pdf", "a Bcc: evil@x.invalid.pdf"),
        ("../../etc/passwd", "image/png", "_.._etc_passwd.png"),
        ("", "application/pdf", "document.pdf"),
        ("Résultats “K+” 6,4.pdf", "application/pdf", "Résultats “K+” 6,4.pdf"),
        ("notes\u200b.txt", "", "notes .txt"),
    ],
)
def test_safe_file_name(name, content_type, expected):
    assert safe_file_name(name, content_type) == expected


def test_a_long_name_keeps_its_extension():
    name = safe_file_name("é" * 500 + ".pdf", "application/pdf")
    assert len(name) == 200 and name.endswith(".pdf")


def test_any_cleaned_name_makes_a_valid_mail_attachment_header():
    for name in (
        "x\nBcc: evil@x.pdf",
        "Compte rendu d’hospitalisation — Mme Ñ.pdf",
        "\x00\x1b[31m.pdf",
    ):
        mail = EmailMessage("s", "b", "a@b.invalid", ["c@d.invalid"])
        mail.attach(safe_file_name(name, "application/pdf"), b"%PDF-1.4", "application/pdf")
        raw = mail.message().as_bytes()
        assert b"Bcc:" not in raw.split(b"\n\n", 1)[0]
