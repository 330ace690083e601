"""The form's own rules, enforced by the server (parcours/records/formdef.py)."""

import copy

from parcours.records import formdef, samples


def test_the_sample_forms_are_publishable():
    for definition in (samples.BILAN_SOCIAL, samples.SUIVI_MEDECIN, samples.GRILLE_DEPENDANCE):
        assert formdef.check_definition(definition) == []


def test_a_condition_on_a_later_item_and_a_duplicate_link_id_are_refused():
    definition = copy.deepcopy(samples.BILAN_SOCIAL)
    definition[0]["items"][0]["enableWhen"] = [{"question": "pieces", "operator": ">", "answer": 2}]
    definition[1]["items"][1]["linkId"] = "pieces"
    problems = " ".join(formdef.check_definition(definition))
    assert "absente avant elle" in problems
    assert "en double" in problems


def test_repeating_and_nested_groups_round_trip_in_order():
    rows = [
        {"contact_nom": f"Contact {i}", "contact_lien": "enfant", "contact_tel": f"06000000{i}"}
        for i in range(5)
    ]
    raw = {
        "habitat": {"date_bilan": "2026-03-02", "type_habitat": "maison"},
        "entourage": {"contacts": copy.deepcopy(rows), "aides": "Aide-ménagère 2 h/semaine"},
    }
    clean, errors = formdef.validate(samples.BILAN_SOCIAL, raw)
    assert errors == []
    assert clean["entourage"]["contacts"] == rows
    again, errors = formdef.validate(samples.BILAN_SOCIAL, clean)
    assert errors == [] and again == clean


def test_an_empty_row_of_a_repeating_group_is_dropped_and_the_others_keep_their_order():
    raw = {
        "habitat": {"date_bilan": "2026-03-02", "type_habitat": "maison"},
        "entourage": {
            "contacts": [
                {"contact_nom": "B"},
                {"contact_nom": "", "contact_tel": ""},
                {"contact_nom": "A"},
            ]
        },
    }
    clean, errors = formdef.validate(samples.BILAN_SOCIAL, raw)
    assert errors == []
    assert [r["contact_nom"] for r in clean["entourage"]["contacts"]] == ["B", "A"]


def test_invalid_answers_are_refused_with_the_item_named():
    raw = {
        "habitat": {
            "type_habitat": "chateau",
            "pieces": "3,5",
        },
        "entourage": {"contacts": [{"contact_tel": "0600000000"}]},
    }
    _clean, errors = formdef.validate(samples.BILAN_SOCIAL, raw)
    by_path = {e.path: str(e) for e in errors}
    assert by_path["habitat.date_bilan"] == "Habitat › Date du bilan : réponse obligatoire."
    assert "réponse hors de la liste" in by_path["habitat.type_habitat"]
    assert "nombre entier" in by_path["habitat.pieces"]
    assert "Contacts › Nom" in by_path["entourage.contacts.0.contact_nom"]


def test_an_answer_to_a_hidden_item_is_dropped_by_the_server():
    raw = {
        "habitat": {
            "date_bilan": "2026-03-02",
            "type_habitat": "maison",
            "etage": "4",
            "ascenseur": "true",
        }
    }
    clean, errors = formdef.validate(samples.BILAN_SOCIAL, raw)
    assert errors == []
    assert "etage" not in clean["habitat"] and "ascenseur" not in clean["habitat"]
    raw["habitat"]["type_habitat"] = "appartement"
    clean, errors = formdef.validate(samples.BILAN_SOCIAL, raw)
    assert clean["habitat"]["etage"] == 4 and clean["habitat"]["ascenseur"] is True


def test_bounds_of_numbers_and_scales_are_enforced():
    raw = {
        "visite": {"date_visite": "2026-03-02", "motif": "Chute", "poids": "300", "douleur": "11"}
    }
    _clean, errors = formdef.validate(samples.SUIVI_MEDECIN, raw)
    assert {e.path for e in errors} == {"visite.poids", "visite.douleur"}


def test_the_dependency_grid_computes_its_level_whatever_the_client_sends():
    grid = samples.GRILLE_DEPENDANCE[0]
    answers = {item["linkId"]: "B" for item in grid["items"] if item["type"] == "choice"}
    answers.update({"date_eval": "2026-03-02", "niveau": {"value": 0, "level": "faux"}})
    clean, errors = formdef.validate(samples.GRILLE_DEPENDANCE, {"grille": answers})
    assert errors == []
    assert clean["grille"]["niveau"] == {"value": 8, "level": "Niveau 3"}


def test_web_fields_parse_into_the_answers_tree():
    data = {
        "habitat.date_bilan": ["2026-03-02"],
        "habitat.accessibilite": ["wc", "exterieure"],
        "entourage.contacts.__rows": ["2"],
        "entourage.contacts.0.contact_nom": ["Premier"],
        "entourage.contacts.1.contact_nom": ["Second"],
    }
    raw = formdef.parse_post(samples.BILAN_SOCIAL, data)
    assert raw["habitat"]["accessibilite"] == ["wc", "exterieure"]
    assert [r["contact_nom"] for r in raw["entourage"]["contacts"]] == ["Premier", "Second"]
    clean, _errors = formdef.validate(samples.BILAN_SOCIAL, raw)
    assert clean["habitat"]["accessibilite"] == ["exterieure", "wc"]


def _two_sections(**last_item):
    return [
        {
            "linkId": "medical",
            "text": "Médical",
            "type": "group",
            "items": [
                {
                    "linkId": "chute",
                    "text": "Chute",
                    "type": "choice",
                    "options": [{"code": "oui", "score": 3}, {"code": "non", "score": 0}],
                }
            ],
        },
        {
            "linkId": "social",
            "text": "Social",
            "type": "group",
            "items": [{"linkId": "suite", "text": "Suite", "type": "string", **last_item}],
        },
    ]


def test_a_condition_on_another_section_is_refused_as_it_would_reveal_that_section():
    # A profile reading only « Social » would learn the « Médical » answer from whether the
    # item is shown, required or kept (and a social save would drop medical-conditioned items).
    definition = _two_sections(enableWhen=[{"question": "chute", "operator": "=", "answer": "oui"}])
    problems = " ".join(formdef.check_definition(definition))
    assert "une autre section" in problems


def test_a_score_summing_another_sections_answers_is_refused():
    definition = _two_sections()
    definition[1]["items"][0] = {
        "linkId": "risque",
        "text": "Risque",
        "type": "score",
        "sources": ["chute"],
    }
    problems = " ".join(formdef.check_definition(definition))
    assert "une autre section" in problems


def test_bounds_and_levels_that_are_not_numbers_are_problems_not_a_server_error():
    definition = _two_sections(min="abc")
    definition[0]["items"].append(
        {
            "linkId": "risque",
            "text": "Risque",
            "type": "score",
            "sources": ["chute"],
            "levels": [{"min": "x", "label": "fort"}],
        }
    )
    problems = " ".join(formdef.check_definition(definition))
    assert "« Suite » : le minimum et le maximum sont des nombres." in problems
    assert "« Risque » : chaque niveau a un seuil numérique et un libellé." in problems


def test_a_malformed_definition_is_described_not_a_server_error():
    for broken in (
        [{"linkId": "a", "type": "group", "items": ["x"]}],
        [{"linkId": "a", "type": "group", "items": {"b": 1}}],
        [
            {
                "linkId": "a",
                "type": "group",
                "items": [{"linkId": "b", "type": "choice", "options": ["x"]}],
            }
        ],
        [
            {
                "linkId": "a",
                "type": "group",
                "items": [{"linkId": "b", "type": "string", "enableWhen": "x"}],
            }
        ],
        [
            {
                "linkId": "a",
                "type": "group",
                "items": [{"linkId": "b", "type": "score", "sources": "x"}],
            }
        ],
    ):
        problems = formdef.check_definition(broken)
        assert problems and problems == formdef.shape_problems(broken)
