"""GET /fhir/metadata: the CapabilityStatement, built from the resource registry."""

from __future__ import annotations

from typing import Any

from .resources import REGISTRY

PARAM_DEFINITIONS = "http://hl7.org/fhir/SearchParameter"


def capability_statement(base: str) -> dict:
    resources = []
    for rtype in REGISTRY.values():
        entry: dict[str, Any] = {
            "type": rtype.name,
            "documentation": rtype.doc,
            "interaction": [{"code": code} for code in rtype.interactions],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": False,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchParam": [
                {"name": name, "type": param.type, "documentation": param.doc}
                for name, param in rtype.search.items()
            ]
            + [
                {
                    "name": "_count",
                    "type": "number",
                    "documentation": "page size (default 20, max 100)",
                },
                {
                    "name": "_offset",
                    "type": "number",
                    "documentation": "index of the first result (used by Bundle next links)",
                },
                {
                    "name": "_total",
                    "type": "token",
                    "documentation": "none | estimate | accurate (default)",
                },
            ],
        }
        if rtype.name == "Patient":
            entry["operation"] = [
                {
                    "name": "match",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-match",
                    "documentation": "Identités proches, notées et graduées (certain, probable, "
                    "possible) ; seules celles visibles par l'appelant, sauf une "
                    "correspondance certaine sur les traits complets.",
                }
            ]
        if "patch" in rtype.interactions:
            entry["documentation"] += (
                " PATCH accepte JSON Patch (application/json-patch+json)"
                " et JSON Merge Patch (application/merge-patch+json ou "
                "application/fhir+json)."
            )
        resources.append(entry)
    resources.append(
        {
            "type": "Binary",
            "interaction": [{"code": "read"}],
            "documentation": "Pièces jointes des demandes, réponses et messages "
            "(lecture seule, base64).",
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "id": "parcours",
        "url": f"{base}metadata",
        "name": "ParcoursFHIRServer",
        "title": "Parcours — API FHIR R4",
        "status": "active",
        "experimental": False,
        "date": "2026-11-22",
        "publisher": "Parcours",
        "description": "Annuaire, patients et circuit des demandes ville-hôpital.",
        "kind": "instance",
        "software": {"name": "Parcours", "version": "0.1.0"},
        "implementation": {"description": "Parcours", "url": base.rstrip("/")},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json", "application/merge-patch+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Jeton porteur (parcours token UTILISATEUR) ; mêmes droits que "
                "l'interface web ; chaque accès aux données patient est tracé.",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                    "display": "OAuth",
                                }
                            ],
                            "text": "Authorization: Bearer <jeton>",
                        }
                    ],
                    "description": "Jetons porteurs émis par « parcours token UTILISATEUR », "
                    "stockés hachés, révocables, avec expiration facultative.",
                },
                "resource": resources,
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "Synthèse de dossier hospitalier d'un patient "
                        "(Encounter, Condition, AllergyIntolerance, "
                        "MedicationStatement, DocumentReference), tout "
                        "ou rien.",
                    }
                ],
            }
        ],
    }
