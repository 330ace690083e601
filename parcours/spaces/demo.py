"""Demo collaborative space: two invented networks (gerontology, palliative care) sharing
presentations, a home-meal-delivery directory, training pages, a calendar and a forum
thread (issue 19, seed 004). Every provider, price and phone number here is invented."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services
from .models import Page, Space, SpaceMember, Visibility

PLAQUETTE = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PROVIDERS = [
    # provider, area, days, meals/week, price, checked (days ago), phone, source, notes
    (
        "Saveurs du Haut-Anjou (fictif)",
        "Château-Gontier-sur-Mayenne, Azé, Ménil",
        "lun., mer., ven.",
        7,
        "9.40",
        40,
        "02 43 00 71 01",
        "appel au prestataire",
        "Repas du week-end livrés le vendredi ; régimes sans sel et diabétique.",
    ),
    (
        "Repas Vallée de la Mayenne (fictif)",
        "Daon, Coudray, Saint-Fort",
        "du lundi au samedi",
        6,
        "8.75",
        120,
        "02 43 00 71 02",
        "plaquette 2026 du prestataire",
        "",
    ),
    (
        "Association Bien chez soi (fictif)",
        "Craon, Cossé-le-Vivien",
        "mar., ven.",
        5,
        "7.90",
        500,
        "02 43 00 71 03",
        "site internet de l'association",
        "Tarif dégressif selon les revenus (à vérifier).",
    ),
    (
        "Cuisine centrale intercommunale (fictif)",
        "Bierné, Chemazé, Gennes-Longuefuye",
        "lun., jeu.",
        7,
        "10.20",
        15,
        "02 43 00 71 04",
        "appel au service",
        "Textures modifiées sur demande.",
    ),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def load_spaces_demo(*, users) -> dict[str, int]:
    """Build the demo space through the services. Takes the demo users by username (needs
    ``coord.reseaux``, ``geriatre.hautanjou``, ``medecin.ville``, ``cellule.hautanjou``,
    ``medecin.hopital``, ``medecin.ville2``). Returns counts of what it made."""
    coord = users["coord.reseaux"]
    geriatre = users["geriatre.hautanjou"]
    gp = users["medecin.ville"]
    desk = users["cellule.hautanjou"]
    cardio = users["medecin.hopital"]
    space = services.space_create(
        actor=coord,
        name="Gérontologie et soins palliatifs du Haut-Anjou",
        description=(
            "Espace commun du réseau gérontologique et du réseau de soins palliatifs (démo) : "
            "les ressources du territoire, le fonctionnement des structures locales, les "
            "formations. Aucune donnée de patient ici."
        ),
        policy=Space.Policy.REQUEST,
    )
    for user, role in ((geriatre, "moderator"), (gp, "member"), (desk, "member")):
        services.member_invite(actor=coord, space=space, user=user)
        services.space_join(actor=user, space=space)
        if role == "moderator":
            row = SpaceMember.objects.get(space=space, user=user)
            services.member_decide(actor=coord, member=row, decision="moderator")
    services.space_join(actor=cardio, space=space)  # a request waiting for an answer
    services.space_join(actor=users["medecin.ville2"], space=space)

    presentation = services.page_create(
        actor=coord,
        space=space,
        kind=Page.Kind.PAGE,
        title="Le réseau gérontologique",
        body=(
            "Missions : évaluation gérontologique à domicile, coordination des aides, "
            "soutien aux aidants.\nSecteur : Haut-Anjou.\nContact : secrétariat du réseau, "
            "du lundi au vendredi."
        ),
        visibility=Visibility.ACCOUNTS,
        new_folder="Présentation des réseaux",
    )
    services.page_checkout(actor=geriatre, page=presentation)
    services.page_checkin(
        actor=geriatre,
        page=presentation,
        title=presentation.title,
        body=presentation.body.replace(
            "soutien aux aidants.", "soutien aux aidants, repérage de la fragilité."
        )
        + "\nPermanence téléphonique : mardi et jeudi matin.",
        base_version=1,
        note="Ajout de la permanence",
    )
    services.page_create(
        actor=geriatre,
        space=space,
        kind=Page.Kind.PAGE,
        title="L'équipe mobile de soins palliatifs",
        body=(
            "Intervient à domicile et en EHPAD à la demande du médecin traitant.\n"
            "Avis, aide à la décision, soutien des équipes et des proches."
        ),
        visibility=Visibility.ACCOUNTS,
        new_folder="Présentation des réseaux",
    )
    services.page_create(
        actor=coord,
        space=space,
        kind=Page.Kind.DOCUMENT,
        title="Plaquette commune des deux réseaux",
        visibility=Visibility.MEMBERS,
        new_folder="Présentation des réseaux",
        upload=SimpleUploadedFile("plaquette-reseaux.pdf", PLAQUETTE, "application/pdf"),
    )
    directory = services.page_create(
        actor=coord,
        space=space,
        kind=Page.Kind.DIRECTORY,
        title="Portage de repas à domicile",
        body="Prestataires de portage de repas du secteur. Vérifiez le tarif avant de le donner.",
        visibility=Visibility.MEMBERS,
        new_folder="Services à domicile",
    )
    today = timezone.localdate()
    for provider, area, days, meals, price, ago, phone, source, notes in PROVIDERS:
        services.entry_save(
            actor=coord,
            page=directory,
            provider=provider,
            area=area,
            days=days,
            meals_per_week=meals,
            price=Decimal(price),
            price_unit="par repas livré",
            price_valid_on=today - timedelta(days=ago),
            phone=phone,
            source=source,
            notes=notes,
        )
    services.page_create(
        actor=geriatre,
        space=space,
        kind=Page.Kind.PAGE,
        title="Formations et bonnes pratiques",
        body=(
            "Repérage de la fragilité (grille courte) : session au printemps.\n"
            "Directives anticipées : comment en parler, soirée d'échange."
        ),
        visibility=Visibility.MEMBERS,
        new_folder="Formations",
    )
    services.page_create(
        actor=gp,
        space=space,
        kind=Page.Kind.PAGE,
        title="Fiche réflexe : appeler l'équipe mobile (brouillon)",
        body="Quand appeler, quoi préparer, qui prévenir.",
        new_folder="Formations",
    )
    monday = today + timedelta(days=7 - today.weekday())
    services.event_create(
        actor=coord,
        space=space,
        title="Réunion de concertation des deux réseaux",
        location="Salle du réseau (démo)",
        start=_at(monday + timedelta(days=1), 14),
        end=_at(monday + timedelta(days=1), 16),
        rrule=services.build_rrule(frequency="monthly", count=6),
    )
    services.event_create(
        actor=geriatre,
        space=space,
        title="Permanence téléphonique de l'équipe mobile",
        start=_at(monday + timedelta(days=3), 9),
        end=_at(monday + timedelta(days=3), 12),
        rrule=services.build_rrule(frequency="weekly", count=12),
        visibility=Visibility.ACCOUNTS,
    )
    services.event_create(
        actor=geriatre,
        space=space,
        title="Formation : repérage de la fragilité",
        location="CH du Haut-Anjou, salle de formation (démo)",
        start=_at(monday + timedelta(days=16), 18, 30),
        end=_at(monday + timedelta(days=16), 20, 30),
        visibility=Visibility.ACCOUNTS,
    )
    topic = services.topic_create(
        actor=gp,
        space=space,
        title="Portage de repas le week-end ?",
        body="Quels prestataires livrent aussi le samedi et le dimanche sur le secteur ?",
    )
    services.post_reply(
        actor=coord,
        topic=topic,
        body="Deux d'entre eux livrent le vendredi pour le week-end : voir l'annuaire.",
    )
    services.post_reply(actor=desk, topic=topic, body="Merci, c'est noté pour nos sorties.")
    training = services.space_create(
        actor=geriatre,
        name="Formations du territoire",
        description="Groupe ouvert : annonces de formations pour tous les professionnels.",
        policy=Space.Policy.OPEN,
    )
    return {"spaces": 2, "pages": Page.objects.filter(space__in=[space, training]).count()}
