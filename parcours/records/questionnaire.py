"""FHIR R4 Questionnaire / QuestionnaireResponse ↔ the form definition and answers of
``formdef`` (pure functions; used by the FHIR API and by the builder's import).

Mapping (FHIR R4 §Questionnaire, SDC IG for extensions; docs/fhir.md):

- ``group``, ``string``, ``text``, ``integer``, ``decimal``, ``date``, ``boolean``,
  ``display`` map to the same ``item.type``; ``choice`` → ``choice`` with ``answerOption``
  (``valueCoding``; an option's points in the ``ordinalValue`` extension); ``multichoice`` →
  ``choice`` with ``repeats: true``; ``scale`` → ``integer`` with ``itemControl`` = slider;
  ``score`` → ``decimal``, ``readOnly``, with the Parcours score extension (its sources and
  bands) — a standard SDC ``calculatedExpression`` would need a FHIRPath engine we do not run.
- ``required``, ``repeats`` (groups), ``enableWhen`` (answerCoding/String/Integer/Decimal/
  Boolean/Date, or ``exists``), ``minValue``/``maxValue`` and ``questionnaire-unit``
  extensions; help text as a child ``display`` item with ``itemControl`` = help (SDC).
- Top-level non-group items of an imported Questionnaire are gathered into one section.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from parcours.lib.errors import Invalid

from . import formdef

EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
EXT_SCORE = "https://parcours.invalid/fhir/StructureDefinition/records-score"
CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
OPTION_SYSTEM = "urn:parcours:records:option"


def _control(code: str) -> dict:
    return {
        "url": EXT_CONTROL,
        "valueCodeableConcept": {"coding": [{"system": CONTROL_SYSTEM, "code": code}]},
    }


def _number_value(value: Any) -> dict:
    return {"valueInteger": value} if isinstance(value, int) else {"valueDecimal": value}


def _answer_value(kind: str | None, answer: Any) -> dict:
    if kind in ("choice", "multichoice"):
        return {"answerCoding": {"system": OPTION_SYSTEM, "code": str(answer)}}
    if kind == "boolean":
        return {"answerBoolean": str(answer).lower() in ("true", "1", "oui")}
    if kind in ("integer", "scale"):
        try:
            return {"answerInteger": int(answer)}
        except (TypeError, ValueError):
            return {"answerString": str(answer)}
    if kind == "decimal":
        return {"answerDecimal": float(answer)}
    if kind == "date":
        return {"answerDate": str(answer)}
    return {"answerString": str(answer)}


def item_to_fhir(item: dict, definition: list[dict]) -> dict:
    """One definition item as a Questionnaire.item."""
    kind = item["type"]
    out: dict[str, Any] = {"linkId": item["linkId"], "text": item.get("text", "")}
    extensions: list[dict] = []
    fhir_type = {"multichoice": "choice", "scale": "integer", "score": "decimal"}.get(kind, kind)
    out["type"] = fhir_type
    if item.get("required"):
        out["required"] = True
    if item.get("repeats") or kind == "multichoice":
        out["repeats"] = True
    if kind == "scale":
        extensions.append(_control("slider"))
    if "min" in item:
        extensions.append({"url": EXT_MIN, **_number_value(item["min"])})
    if "max" in item:
        extensions.append({"url": EXT_MAX, **_number_value(item["max"])})
    if item.get("unit"):
        extensions.append({"url": EXT_UNIT, "valueCoding": {"display": item["unit"]}})
    if kind in ("choice", "multichoice"):
        out["answerOption"] = []
        for option in item.get("options") or []:
            entry: dict[str, Any] = {
                "valueCoding": {
                    "system": OPTION_SYSTEM,
                    "code": str(option["code"]),
                    "display": option.get("display") or str(option["code"]),
                }
            }
            if "score" in option:
                entry["extension"] = [{"url": EXT_ORDINAL, "valueDecimal": option["score"]}]
            out["answerOption"].append(entry)
    if kind == "score":
        out["readOnly"] = True
        extensions.append(
            {
                "url": EXT_SCORE,
                "extension": [
                    {"url": "source", "valueString": s} for s in item.get("sources") or []
                ]
                + [
                    {
                        "url": "level",
                        "extension": [
                            {"url": "min", "valueDecimal": band["min"]},
                            {"url": "label", "valueString": band["label"]},
                        ],
                    }
                    for band in item.get("levels") or []
                ],
            }
        )
    if item.get("enableWhen"):
        out["enableWhen"] = []
        for cond in item["enableWhen"]:
            target = formdef.find_item(definition, cond.get("question", "")) or {}
            if cond.get("operator") == "exists":
                answer: dict = {"answerBoolean": str(cond.get("answer")).lower() in ("true", "1")}
            else:
                answer = _answer_value(target.get("type"), cond.get("answer"))
            out["enableWhen"].append(
                {"question": cond.get("question"), "operator": cond.get("operator"), **answer}
            )
        if len(item["enableWhen"]) > 1:
            out["enableBehavior"] = "all"
    children = [item_to_fhir(child, definition) for child in item.get("items") or []]
    if item.get("help"):
        children.insert(
            0,
            {
                "linkId": f"{item['linkId']}-help",
                "type": "display",
                "text": item["help"],
                "extension": [_control("help")],
            },
        )
    if children:
        out["item"] = children
    if extensions:
        out["extension"] = extensions
    return out


def definition_to_items(definition: list[dict]) -> list[dict]:
    """The definition as Questionnaire.item (sections first level)."""
    return [item_to_fhir(item, definition) for item in definition]


def _ext(item: dict, url: str) -> dict | None:
    return next((e for e in item.get("extension") or [] if e.get("url") == url), None)


def _ext_number(ext: dict | None) -> int | float | None:
    if ext is None:
        return None
    for key in ("valueInteger", "valueDecimal"):
        if key in ext:
            return ext[key]
    return None


def _control_code(item: dict) -> str:
    ext = _ext(item, EXT_CONTROL) or {}
    codings = (ext.get("valueCodeableConcept") or {}).get("coding") or [{}]
    return codings[0].get("code", "")


_ANSWER_KEYS = (
    "answerCoding",
    "answerString",
    "answerInteger",
    "answerDecimal",
    "answerBoolean",
    "answerDate",
)


def item_from_fhir(raw: dict) -> dict:
    """One Questionnaire.item as a definition item; raises Invalid for an unsupported type."""
    if not isinstance(raw, dict):
        raise Invalid(_("Élément de questionnaire illisible."), field="item")
    fhir_type = raw.get("type")
    link_id = str(raw.get("linkId") or "")
    supported = {
        "group",
        "string",
        "text",
        "integer",
        "decimal",
        "date",
        "boolean",
        "choice",
        "open-choice",
        "display",
    }
    if fhir_type not in supported:
        raise Invalid(
            _("Question « %(q)s » : type FHIR « %(t)s » non pris en charge.")
            % {"q": link_id, "t": fhir_type},
            field="item",
        )
    item: dict[str, Any] = {"linkId": link_id, "text": str(raw.get("text") or link_id)}
    kind = "choice" if fhir_type == "open-choice" else fhir_type
    score = _ext(raw, EXT_SCORE)
    if score is not None:
        kind = "score"
        item["sources"] = [
            e["valueString"] for e in score.get("extension") or [] if e.get("url") == "source"
        ]
        item["levels"] = []
        for band in (e for e in score.get("extension") or [] if e.get("url") == "level"):
            parts = {p.get("url"): p for p in band.get("extension") or []}
            item["levels"].append(
                {
                    "min": (parts.get("min") or {}).get("valueDecimal", 0),
                    "label": (parts.get("label") or {}).get("valueString", ""),
                }
            )
    elif kind == "choice" and raw.get("repeats"):
        kind = "multichoice"
    elif kind == "integer" and _control_code(raw) == "slider":
        kind = "scale"
    item["type"] = kind
    if raw.get("required"):
        item["required"] = True
    if raw.get("repeats") and kind == "group":
        item["repeats"] = True
    low, high = _ext_number(_ext(raw, EXT_MIN)), _ext_number(_ext(raw, EXT_MAX))
    if low is not None:
        item["min"] = low
    if high is not None:
        item["max"] = high
    unit = _ext(raw, EXT_UNIT)
    if unit:
        coding = unit.get("valueCoding") or {}
        item["unit"] = coding.get("display") or coding.get("code") or ""
    if kind in ("choice", "multichoice"):
        options = []
        for entry in raw.get("answerOption") or []:
            if "valueCoding" in entry:
                coding = entry["valueCoding"]
                option = {
                    "code": str(coding.get("code")),
                    "display": coding.get("display") or str(coding.get("code")),
                }
            else:
                value = next((v for k, v in entry.items() if k.startswith("value")), "")
                option = {"code": str(value), "display": str(value)}
            ordinal = _ext(entry, EXT_ORDINAL) or _ext(
                entry, "http://hl7.org/fhir/StructureDefinition/itemWeight"
            )
            if ordinal is not None and _ext_number(ordinal) is not None:
                option["score"] = _ext_number(ordinal)
            options.append(option)
        item["options"] = options
    conditions = []
    for cond in raw.get("enableWhen") or []:
        key = next((k for k in _ANSWER_KEYS if k in cond), None)
        answer = cond.get(key) if key else None
        if key == "answerCoding":
            answer = (answer or {}).get("code")
        conditions.append(
            {"question": cond.get("question"), "operator": cond.get("operator"), "answer": answer}
        )
    if conditions:
        if raw.get("enableBehavior") == "any" and len(conditions) > 1:
            raise Invalid(
                _("Question « %s » : conditions « l'une ou l'autre » non prises en charge.")
                % link_id,
                field="item",
            )
        item["enableWhen"] = conditions
    children = []
    for child in raw.get("item") or []:
        if child.get("type") == "display" and _control_code(child) == "help":
            item["help"] = str(child.get("text") or "")
            continue
        children.append(item_from_fhir(child))
    if kind == "group":
        item["items"] = children
    return item


def questionnaire_to_definition(resource: Any) -> tuple[str, list[dict]]:
    """``(title, definition)`` from a Questionnaire resource (a dict); top-level non-group
    items are gathered into one section. Raises Invalid for what cannot be mapped; the caller
    runs ``formdef.check_definition`` before publishing."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise Invalid(_("Une ressource Questionnaire est attendue."), field="resourceType")
    items = [item_from_fhir(raw) for raw in resource.get("item") or []]
    definition: list[dict] = []
    loose: list[dict] = []
    for item in items:
        if item["type"] == "group":
            if loose:
                definition.append(
                    {
                        "linkId": f"section_{len(definition) + 1}",
                        "text": _("Questions"),
                        "type": "group",
                        "items": loose,
                    }
                )
                loose = []
            definition.append(item)
        else:
            loose.append(item)
    if loose:
        definition.append(
            {
                "linkId": f"section_{len(definition) + 1}",
                "text": _("Questions"),
                "type": "group",
                "items": loose,
            }
        )
    title = str(resource.get("title") or resource.get("name") or _("Questionnaire importé"))
    return title, definition


def _value_to_fhir(item: dict, value: Any) -> list[dict]:
    kind = item["type"]
    if kind == "multichoice":
        labels = {str(o["code"]): o.get("display") for o in item.get("options") or []}
        return [
            {"valueCoding": {"system": OPTION_SYSTEM, "code": v, "display": labels.get(v, v)}}
            for v in value
        ]
    if kind == "choice":
        labels = {str(o["code"]): o.get("display") for o in item.get("options") or []}
        return [
            {
                "valueCoding": {
                    "system": OPTION_SYSTEM,
                    "code": value,
                    "display": labels.get(value, value),
                }
            }
        ]
    if kind in ("integer", "scale"):
        return [{"valueInteger": int(value)}]
    if kind == "decimal":
        return [{"valueDecimal": float(value)}]
    if kind == "score":
        number = value.get("value")
        return [{"valueDecimal": float(number)}] if number is not None else []
    if kind == "date":
        return [{"valueDate": value}]
    if kind == "boolean":
        return [{"valueBoolean": bool(value)}]
    return [{"valueString": str(value)}]


def answers_to_items(items: list[dict], answers: dict) -> list[dict]:
    """Answers as QuestionnaireResponse.item, in the definition's order; a repeating group
    is one item per row, in the rows' order (FHIR R4: a repeating group repeats the item)."""
    out = []
    for item in items:
        if item["linkId"] not in answers or item["type"] == "display":
            continue
        value = answers[item["linkId"]]
        if item["type"] == "group":
            rows = value if item.get("repeats") else [value]
            for row in rows:
                out.append(
                    {
                        "linkId": item["linkId"],
                        "text": item.get("text", ""),
                        "item": answers_to_items(item["items"], row),
                    }
                )
        else:
            answer = _value_to_fhir(item, value)
            if answer:
                out.append(
                    {"linkId": item["linkId"], "text": item.get("text", ""), "answer": answer}
                )
    return out


def _value_from_fhir(answer: dict) -> Any:
    for key, value in answer.items():
        if key == "valueCoding":
            return (value or {}).get("code")
        if key.startswith("value"):
            return value
    return None


def items_to_answers(items: list[dict], raw_items: Any) -> dict:
    """QuestionnaireResponse.item back into the raw answers tree (for ``formdef.validate``).
    Unknown linkIds are ignored (validation drops them anyway); rows keep their order."""
    out: dict[str, Any] = {}
    by_id = {item["linkId"]: item for item in items}
    for raw in raw_items if isinstance(raw_items, list) else []:
        if not isinstance(raw, dict):
            continue
        item = by_id.get(raw.get("linkId"))
        if item is None:
            continue
        if item["type"] == "group":
            inner = items_to_answers(item["items"], raw.get("item") or [])
            if item.get("repeats"):
                out.setdefault(item["linkId"], []).append(inner)
            else:
                out[item["linkId"]] = inner
            continue
        values = [_value_from_fhir(a) for a in raw.get("answer") or [] if isinstance(a, dict)]
        if item["type"] == "multichoice":
            out[item["linkId"]] = [v for v in values if v is not None]
        elif values:
            value = values[0]
            out[item["linkId"]] = "" if value is None else value
    return out
