import pytest

from parcours.directory.annuaire import import_annuaire
from parcours.directory.models import Practitioner

from .conftest import row

pytestmark = pytest.mark.django_db

ROLES = ["gp", "gp2", "desk", "doctor", "pneumo", "head", "admin", "nobody"]


@pytest.fixture
def card(territory, extract):
    import_annuaire(
        extract(
            [
                row(),
                row(
                    "810000000002",
                    "MARTIN",
                    "PAUL",
                    structure="R2",
                    skill="Pneumologie",
                    postcode="53100",
                    town="MAYENNE",
                    org="CABINET MARTIN",
                    sector="Cabinet individuel",
                    mode=("L", "Libéral"),
                ),
            ]
        )
    )
    p = Practitioner.objects.get(national_id="810000000001")
    p.user = territory.doctor
    p.save()
    return p


@pytest.mark.parametrize("role", ROLES)
def test_every_logged_in_user_reads_the_card(card, territory, login, role):
    page = login(getattr(territory, role)).get(f"/annuaire/professionnels/{card.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "10000000001" in html and "Cardiologie" in html and "CH DE TEST" in html
    assert "0243000000" in html


def test_anonymous_is_sent_to_login(card, client):
    assert client.get(f"/annuaire/professionnels/{card.pk}/").status_code == 302


@pytest.mark.parametrize("role,allowed", [(r, r in ("doctor", "admin")) for r in ROLES])
def test_only_the_practitioner_and_the_admin_edit_contact(card, territory, login, role, allowed):
    c = login(getattr(territory, role))
    url = f"/annuaire/professionnels/{card.pk}/coordonnees/"
    assert c.get(url).status_code == (200 if allowed else 403)
    response = c.post(
        url,
        {
            "phone": "06 11 22 33 44",
            "mssante": "",
            "email": "",
            "preferred_channel": "Téléphone",
            "contact_hours": "8h-18h",
        },
    )
    assert response.status_code == (302 if allowed else 403)
    card.refresh_from_db()
    assert (card.phone == "06 11 22 33 44") is allowed


def test_edit_form_errors_are_in_french(card, territory, login):
    response = login(territory.admin).post(
        f"/annuaire/professionnels/{card.pk}/coordonnees/",
        {"phone": "appelez-moi", "mssante": "pas une adresse"},
    )
    html = response.content.decode()
    assert "Numéro de téléphone invalide" in html
    assert "Saisissez une adresse de courriel valide" in html


def test_card_shows_local_and_national_phone_and_who_edited(card, territory, login):
    c = login(territory.doctor)
    c.post(
        f"/annuaire/professionnels/{card.pk}/coordonnees/",
        {"phone": "0611111111", "preferred_channel": "Messagerie sécurisée"},
    )
    html = c.get(f"/annuaire/professionnels/{card.pk}/").content.decode()
    assert "0611111111" in html and "annuaire national : 0243000000" in html
    assert "Modifié localement" in html


def test_service_senior_line_edit_by_head_and_admin_only(territory, login):
    url = f"/annuaire/services/{territory.cardio.pk}/coordonnees/"
    assert login(territory.gp).get(url).status_code == 403
    assert login(territory.doctor).get(url).status_code == 403
    response = login(territory.head).post(
        url, {"senior_line": "0243000099", "senior_line_hours": "24 h/24", "phone": ""}
    )
    assert response.status_code == 302
    territory.cardio.refresh_from_db()
    assert territory.cardio.senior_line == "0243000099"
    assert territory.cardio.contact_edits.filter(
        field="senior_line", edited_by=territory.head
    ).exists()
    html = login(territory.gp).get(f"/annuaire/services/{territory.cardio.pk}/").content
    assert b"0243000099" in html


def test_search_ignores_accents_and_case(card, territory, login):
    c = login(territory.gp)
    html = c.get("/annuaire/", {"q": "helene lefevre"}).content.decode()
    assert f"/annuaire/professionnels/{card.pk}/" in html
    html = c.get("/annuaire/", {"q": "LÉFÈVRE"}).content.decode()
    assert f"/annuaire/professionnels/{card.pk}/" in html


def test_search_by_specialty_place_and_organisation(card, territory, login):
    c = login(territory.gp)
    martin = Practitioner.objects.get(national_id="810000000002")
    html = c.get("/annuaire/", {"specialty": "Pneumologie"}).content.decode()
    assert f"professionnels/{martin.pk}/" in html and f"professionnels/{card.pk}/" not in html
    html = c.get("/annuaire/", {"place": "53100"}).content.decode()
    assert f"professionnels/{martin.pk}/" in html and f"professionnels/{card.pk}/" not in html
    html = c.get("/annuaire/", {"place": "laval"}).content.decode()
    assert f"professionnels/{card.pk}/" in html and f"professionnels/{martin.pk}/" not in html
    html = c.get("/annuaire/", {"place": "53"}).content.decode()
    assert f"professionnels/{card.pk}/" in html and f"professionnels/{martin.pk}/" in html
    html = c.get("/annuaire/", {"organisation": "cabinet martin"}).content.decode()
    assert f"professionnels/{martin.pk}/" in html and f"professionnels/{card.pk}/" not in html


def test_search_tolerates_typos(card, territory, login):
    c = login(territory.gp)
    html = c.get("/annuaire/", {"q": "lefebre"}).content.decode()
    assert f"/annuaire/professionnels/{card.pk}/" in html
    html = c.get("/annuaire/", {"q": "martn paul"}).content.decode()
    assert "MARTIN" in html


# --- issue 14, bug 6: the page's search forgives case, accents and a slip, on both databases


@pytest.mark.parametrize("typed", ["Lebrun", "lebrun", "Lebrin", "Lbrun", "LEBRUNN"])
def test_name_search_finds_lebrun_despite_a_slip(territory, login, typed):
    lebrun = Practitioner.objects.create(
        last_name="Lebrun", first_name="Agathe", specialty="Cardiologie"
    )
    Practitioner.objects.create(last_name="Leblanc", first_name="Hugo")
    html = login(territory.gp).get("/annuaire/", {"q": typed}).content.decode()
    assert f"/annuaire/professionnels/{lebrun.pk}/" in html


@pytest.mark.parametrize("typed", ["cardiologie", "CARDIOLOGIE", "cardiolgie", "Cardio"])
def test_specialty_search_ignores_case_accents_and_a_slip(card, territory, login, typed):
    martin = Practitioner.objects.get(national_id="810000000002")
    html = login(territory.gp).get("/annuaire/", {"specialty": typed}).content.decode()
    assert f"professionnels/{card.pk}/" in html
    assert f"professionnels/{martin.pk}/" not in html


def test_specialty_search_with_accents_finds_the_plain_spelling(card, territory, login):
    martin = Practitioner.objects.get(national_id="810000000002")
    html = login(territory.gp).get("/annuaire/", {"specialty": "pneumologié"}).content.decode()
    assert f"professionnels/{martin.pk}/" in html


def test_hospital_search_by_specialty_ignores_case(territory, login):
    html = login(territory.gp).get("/annuaire/", {"q": "cardiologie"}).content.decode()
    assert f"/annuaire/services/{territory.cardio.pk}/" in html
    assert f"/annuaire/services/{territory.beta_cardio.pk}/" in html
    # Only the services that match are listed under a hospital found by its service.
    assert f"/annuaire/services/{territory.pneumo_svc.pk}/" not in html


def test_hospital_search_by_town_forgives_missing_accents(territory, login):
    territory.beta.town = "Château-Gontier"
    territory.beta.save()
    c = login(territory.gp)
    for typed in ("Chateau-Gontier", "chateau gontier", "Château-Gontier", "Chateau-Gontir"):
        html = c.get("/annuaire/", {"q": typed}).content.decode()
        assert "CH Beta" in html, typed
        assert f"/annuaire/services/{territory.beta_cardio.pk}/" in html, typed
        assert "CH Alpha" not in html, typed


def test_search_for_nothing_known_says_so(territory, login):
    html = login(territory.gp).get("/annuaire/", {"q": "zzzzzz"}).content.decode()
    assert "Aucun professionnel ne correspond." in html
    assert "Aucun établissement ne correspond" in html


def test_the_secure_messaging_field_takes_mssante_addresses_only(card, territory, login):
    c = login(territory.doctor)
    url = f"/annuaire/professionnels/{card.pk}/coordonnees/"
    response = c.post(url, {"phone": "", "mssante": "helene@gmail.com"})
    assert response.status_code == 200
    assert "messagerie sécurisée de santé (MSSanté)" in response.content.decode()
    card.refresh_from_db()
    assert card.mssante == ""
    assert (
        c.post(url, {"phone": "", "mssante": "Helene.Lefevre@Medecin.MSSante.fr"}).status_code
        == 302
    )
    card.refresh_from_db()
    assert card.mssante == "helene.lefevre@medecin.mssante.fr"


def test_place_search_takes_a_communes_everyday_name_and_one_slip(territory, login, extract):
    """Review of issue 14 (bug 6): « Château-Gontier » (what everyone says, for the commune
    Château-Gontier-sur-Mayenne) and « Lavla » found nobody in « Commune ou code postal »."""
    import_annuaire(
        extract(
            [
                row(
                    "810000000003",
                    "CARRE",
                    "SOPHIE",
                    structure="R3",
                    postcode="53200",
                    town="CHATEAU-GONTIER-SUR-MAYENNE",
                    org="CABINET CARRE",
                ),
                row(
                    "810000000004",
                    "DURAND",
                    "LEA",
                    structure="R4",
                    postcode="53000",
                    town="LAVAL",
                    org="CABINET DURAND",
                ),
            ]
        )
    )
    carre = Practitioner.objects.get(national_id="810000000003")
    durand = Practitioner.objects.get(national_id="810000000004")
    c = login(territory.gp)
    for place in [
        "Château-Gontier",
        "chateau gontier",
        "Chateau-Gontier-sur-Mayenne",
        "Chateau-Gontier-sur-Mayene",
    ]:
        html = c.get("/annuaire/", {"place": place}).content.decode()
        assert f"professionnels/{carre.pk}/" in html, place
        assert f"professionnels/{durand.pk}/" not in html, place
    html = c.get("/annuaire/", {"place": "Lavla"}).content.decode()
    assert f"professionnels/{durand.pk}/" in html and f"professionnels/{carre.pk}/" not in html
    # A word of a commune is not the commune: « Gontier » alone finds nobody.
    html = c.get("/annuaire/", {"place": "Gontier"}).content.decode()
    assert f"professionnels/{carre.pk}/" not in html
