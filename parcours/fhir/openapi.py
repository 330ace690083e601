"""GET /fhir/openapi.json: an OpenAPI 3.0 description of the endpoints, from the registry."""

from __future__ import annotations

from .resources import REGISTRY

FHIR_JSON = "application/fhir+json"


def _json(description: str, schema_ref: str = "Resource") -> dict:
    return {
        "description": description,
        "content": {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


ERRORS = {
    "400": _json("Malformed request (OperationOutcome)", "OperationOutcome"),
    "401": _json("Missing, invalid, expired or revoked token", "OperationOutcome"),
    "403": _json("Action not allowed for this user", "OperationOutcome"),
    "404": _json("Not found, or not visible to this user (same answer)", "OperationOutcome"),
    "405": _json(
        "Method not answered for this resource type (see the Allow header)", "OperationOutcome"
    ),
    "406": _json("The client accepts no JSON (only JSON is served)", "OperationOutcome"),
    "409": _json("Workflow conflict: illegal transition", "OperationOutcome"),
    "413": _json("Request body too large", "OperationOutcome"),
    "415": _json("Body sent with another content type than FHIR JSON", "OperationOutcome"),
    "422": _json("Business rule refused the change; nothing written", "OperationOutcome"),
}


def openapi_document(base: str) -> dict:
    paths: dict = {
        "/metadata": {
            "get": {
                "summary": "CapabilityStatement",
                "security": [],
                "tags": ["Server"],
                "responses": {"200": _json("CapabilityStatement")},
            }
        },
        "/Binary/{id}": {
            "get": {
                "summary": "Read an attachment (base64 Binary)",
                "tags": ["Binary"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json("Binary"), **ERRORS},
            }
        },
    }
    paths["/Patient/$match"] = {
        "post": {
            "summary": "Patient/$match: scored, graded candidate identities",
            "tags": ["Patient"],
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}},
            },
            "responses": {
                "200": _json("searchset Bundle with search.score and match-grade", "Bundle"),
                **ERRORS,
            },
        }
    }
    paths["/"] = {
        "post": {
            "summary": "transaction Bundle: a hospital record summary for one patient",
            "tags": ["Server"],
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Bundle"}}},
            },
            "responses": {"200": _json("transaction-response Bundle", "Bundle"), **ERRORS},
        }
    }
    for rtype in REGISTRY.values():
        params = [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": p.doc,
                "schema": {"type": "string"},
            }
            for name, p in rtype.search.items()
        ]
        params += [
            {"name": "_count", "in": "query", "schema": {"type": "integer", "maximum": 100}},
            {"name": "_offset", "in": "query", "schema": {"type": "integer"}},
        ]
        collection: dict = {
            "get": {
                "summary": f"Search {rtype.name}",
                "tags": [rtype.name],
                "description": rtype.doc,
                "parameters": params,
                "responses": {"200": _json("searchset Bundle", "Bundle"), **ERRORS},
            }
        }
        if "create" in rtype.interactions:
            collection["post"] = {
                "summary": f"Create {rtype.name}",
                "tags": [rtype.name],
                "requestBody": {
                    "required": True,
                    "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}},
                },
                "responses": {"201": _json(f"Created {rtype.name} (Location header)"), **ERRORS},
            }
            if rtype.name == "Patient":
                collection["post"]["responses"]["200"] = _json(
                    "An identity with these traits already existed: returned, not duplicated"
                )
        instance: dict = {
            "get": {
                "summary": f"Read {rtype.name}",
                "tags": [rtype.name],
                "responses": {"200": _json(rtype.name), **ERRORS},
            }
        }
        if "update" in rtype.interactions:
            instance["put"] = {
                "summary": f"Update {rtype.name}: moves the request through the workflow",
                "tags": [rtype.name],
                "requestBody": {
                    "required": True,
                    "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Resource"}}},
                },
                "responses": {"200": _json(rtype.name), **ERRORS},
            }
            instance["patch"] = {
                "summary": f"Patch {rtype.name} (JSON Patch or JSON Merge Patch)",
                "tags": [rtype.name],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json-patch+json": {
                            "schema": {"type": "array", "items": {"type": "object"}}
                        },
                        "application/merge-patch+json": {"schema": {"type": "object"}},
                    },
                },
                "responses": {"200": _json(rtype.name), **ERRORS},
            }
        for item in (*collection.values(), *instance.values()):
            item.setdefault("security", [{"bearer": []}])
        paths[f"/{rtype.name}"] = collection
        paths[f"/{rtype.name}/{{id}}"] = {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            **instance,
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Parcours — API FHIR R4",
            "version": "0.1.0",
            "description": "FHIR R4 (JSON) : annuaire, patients, demandes ville-hôpital. "
            "Voir docs/fhir.md.",
        },
        "servers": [{"url": base.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "parcours token UTILISATEUR",
                }
            },
            "schemas": {
                "Resource": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}},
                    "externalDocs": {"url": "https://hl7.org/fhir/R4/"},
                },
                "Bundle": {
                    "type": "object",
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string"},
                        "total": {"type": "integer"},
                        "link": {"type": "array", "items": {"type": "object"}},
                        "entry": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "OperationOutcome": {
                    "type": "object",
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                        "issue": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "severity": {"type": "string"},
                                    "code": {"type": "string"},
                                    "diagnostics": {"type": "string"},
                                    "expression": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
