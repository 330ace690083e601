"""Attachments previewed in the page: access-checked, audited, inline, framable by us only."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import pdf_upload
from parcours.audit.models import AuditEvent

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def test_pdf_preview_is_inline_framable_by_the_site_and_audited(territory, make_referral, client):
    referral = make_referral(files=[pdf_upload("courrier.pdf")])
    attachment = referral.attachments.get()
    client.force_login(territory.doctor)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    url = reverse("referrals:attachment_preview", args=[referral.pk, attachment.pk])
    assert f'data-src="{url}"' in page and 'class="preview-pdf"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        user=territory.doctor, action="download", detail__startswith="aperçu"
    ).exists()


def test_image_preview_is_an_img(territory, make_referral, client):
    referral = make_referral(files=[SimpleUploadedFile("plaie.png", PNG, "image/png")])
    attachment = referral.attachments.get()
    client.force_login(territory.gp)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'class="preview-img"' in page
    response = client.get(
        reverse("referrals:attachment_preview", args=[referral.pk, attachment.pk])
    )
    assert response["Content-Type"] == "image/png"


def test_the_page_itself_still_refuses_to_be_framed(territory, make_referral, client):
    referral = make_referral()
    client.force_login(territory.gp)
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response["X-Frame-Options"] == "DENY"


def test_preview_of_another_requests_attachment_is_404(territory, make_referral, client):
    with_file = make_referral(files=[pdf_upload()])
    other = make_referral()
    attachment = with_file.attachments.get()
    client.force_login(territory.gp)
    response = client.get(reverse("referrals:attachment_preview", args=[other.pk, attachment.pk]))
    assert response.status_code == 404
