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
            "searchInclude": list(rtype.includes),
            "searchParam": [
                {"name": name, "type": param.type, "documentation": param.doc}
                for name, param in rtype.search.items()
            ]
            + [
                {
                    "name": "_sort",
                    "type": "special",
                    "documentation": "sort by "
                    + ", ".join(["_id", *rtype.sorts])
                    + " (- for descending)",
                },
                {
                    "name": "_elements",
                    "type": "special",
                    "documentation": "top-level elements to return (tagged SUBSETTED)",
                },
                {
                    "name": "_summary",
                    "type": "token",
                    "documentation": "count (the total only) or false",
                },
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
        if rtype.profiles:
            entry["supportedProfile"] = list(rtype.profiles)
        if rtype.includes:
            entry["searchParam"].append(
                {
                    "name": "_include",
                    "type": "special",
                    "documentation": "referenced resources to add (search.mode include): "
                    + ", ".join(rtype.includes),
                }
            )
        else:
            del entry["searchInclude"]
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
                "l'interface web ; chaque accès aux données patient est tracé. Recherche : un "
                "paramètre inconnu est une erreur 400 (Prefer: handling=strict, par défaut) ou, "
                "avec Prefer: handling=lenient, ignoré et signalé dans une OperationOutcome du "
                "Bundle (search.mode = outcome). Écriture : un élément que la plateforme ne "
                "conserve pas est refusé (422) en le nommant, jamais ignoré en silence.",
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


def conformance_table() -> str:
    """docs/fhir.md's conformance table (resource × interactions × search parameters ×
    _sort × _include × profile), as Markdown, from the same registry as the
    CapabilityStatement (``parcours fhir-conformance --write`` puts it in the docs)."""
    lines = [
        "| resource | interactions | search parameters | _sort | _include | profile |",
        "|---|---|---|---|---|---|",
    ]
    for rtype in REGISTRY.values():
        profiles = ", ".join(f"`{p.rsplit('/', 1)[-1]}`" for p in rtype.profiles) or "—"
        lines.append(
            "| "
            + " | ".join(
                [
                    rtype.name,
                    ", ".join(rtype.interactions),
                    ", ".join(f"`{n}`" for n in rtype.search),
                    ", ".join(f"`{n}`" for n in ["_id", *rtype.sorts]),
                    ", ".join(f"`{n}`" for n in rtype.includes) or "—",
                    profiles,
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"
