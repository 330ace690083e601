"""A network's form definition: its shape, its server-side validation, its computed scores.

Pure functions on plain data (no model, no database): the services, the pages and the FHIR
layer all call these, so the server enforces exactly the rules the form declares (issue 17:
"servers do not enforce the form's own validation").

**Definition** — a list of top-level *sections* (``type: "group"``), each with ``items``. An
item is a dict with the FHIR Questionnaire names where one exists (R4 §Questionnaire.item):

- ``linkId`` (unique in the whole form, ``[A-Za-z0-9_-]``), ``text``, ``type`` (ITEM_TYPES),
  ``required``, ``repeats`` (a group only: a repeating group), ``help`` (help text), ``unit``
  (integer/decimal), ``min``/``max`` (integer, decimal, scale), ``options``
  (choice/multichoice: ``[{"code", "display", "score"}]``), ``enableWhen``
  (``[{"question": linkId, "operator": "=", "!=", ">", "<", ">=", "<=", "exists", "answer": …}]``,
  all must hold, as FHIR ``enableBehavior: all``), ``items`` (a group's children), and for a
  ``score``: ``sources`` (linkIds of choice items whose option scores are summed) and
  ``levels`` (``[{"min": number, "label": str}]``: the label of the highest ``min`` reached,
  e.g. a dependency grid giving a GIR-like level).

**Answers** — a dict ``{linkId: value}``; a group's value is a dict of its children's answers,
a repeating group's a *list* of such dicts in the order entered (never re-sorted: issue 17,
"repeating groups lose or mix answers"); multichoice a list of codes; date an ISO string;
integer an int; decimal a string of the decimal (JSON keeps no Decimal); score
``{"value": n, "level": label}``, always recomputed by the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

ITEM_TYPES = {
    "group": "Groupe",
    "string": "Texte court",
    "text": "Texte long",
    "integer": "Nombre entier",
    "decimal": "Nombre décimal",
    "date": "Date",
    "boolean": "Oui / non",
    "choice": "Choix unique",
    "multichoice": "Choix multiple",
    "scale": "Échelle",
    "score": "Score calculé",
    "display": "Texte d'aide (affichage seul)",
}
ANSWERED_TYPES = set(ITEM_TYPES) - {"group", "display", "score"}
OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "exists")
LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_REPEATS = 50
MAX_TEXT = 5000


@dataclass
class FieldError:
    """One refused answer: ``path`` the HTML field name (``section.item`` or
    ``section.group.0.item``), ``label`` the item's text with its section, ``message`` French."""

    path: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label} : {self.message}"


# ---------------------------------------------------------------- definition checks


def walk(items: list[dict], parents: tuple[dict, ...] = ()) -> Iterator[tuple[dict, tuple]]:
    """Every item of ``items`` depth first, with the tuple of its ancestor items."""
    for item in items:
        yield item, parents
        yield from walk(item.get("items") or [], (*parents, item))


def find_item(definition: list[dict], link_id: str) -> dict | None:
    """The item whose linkId is ``link_id`` anywhere in the definition, or None."""
    for item, _parents in walk(definition):
        if item.get("linkId") == link_id:
            return item
    return None


def section_of(definition: list[dict], link_id: str) -> str | None:
    """The linkId of the top-level section holding ``link_id`` (itself if a section)."""
    for item, parents in walk(definition):
        if item.get("linkId") == link_id:
            return (parents[0] if parents else item)["linkId"]
    return None


def shape_problems(definition: Any) -> list[str]:
    """The problems of a definition's *shape* (French): every item and every ``items``,
    ``options``, ``enableWhen`` and ``levels`` entry a dict inside a list, ``sources`` a list
    of linkIds. Every other function of this module walks the definition assuming this shape;
    a draft that breaks it could not even be shown in the builder (a 500 on each visit)."""
    problems: list[str] = []

    def dicts(value: Any, what: str, where: str) -> list[dict]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problems.append(
                _("« %(q)s » : %(w)s doit être une liste d'objets.") % {"q": where, "w": what}
            )
            return []
        return value

    def visit(items: Any, where: str) -> None:
        for item in dicts(items, "items", where):
            label = str(item.get("text") or item.get("linkId") or "?")
            for key in ("options", "enableWhen", "levels"):
                dicts(item.get(key), key, label)
            sources = item.get("sources")
            if sources is not None and (
                not isinstance(sources, list) or not all(isinstance(v, str) for v in sources)
            ):
                problems.append(_("« %s » : sources doit être une liste d'identifiants.") % label)
            visit(item.get("items"), label)

    if not isinstance(definition, list):
        return [_("La définition doit être une liste de sections.")]
    visit(definition, _("formulaire"))
    return problems


def check_definition(definition: Any) -> list[str]:
    """The problems of a form definition, in French (empty list: the form can be published).

    Checks: a list of sections (groups) at the top; unique well-formed linkIds; known types;
    options on choices (unique codes); min ≤ max; conditions naming an earlier item of the
    form that is not inside a repeating group, with a known operator; score sources naming
    choice items; a group has children; bounds and score levels are numbers. A condition or
    a score source must sit in the item's own top-level section: rights are per section
    (issue 17), and an item shown, required or scored from another section's answers would
    reveal them to a profile that does not read that section."""
    problems = shape_problems(definition)
    if problems:
        return problems
    if not definition:
        problems.append(_("Le formulaire n'a aucune section."))
    seen: dict[str, dict] = {}
    sections: dict[str, str] = {}  # linkId → its top-level section's linkId
    in_repeat: set[str] = set()
    for item, parents in walk(definition):
        link_id = item.get("linkId", "")
        label = item.get("text") or link_id
        if not isinstance(link_id, str) or not LINK_ID.match(link_id):
            problems.append(_("Identifiant de question invalide : « %s ».") % link_id)
            continue
        if link_id in seen:
            problems.append(_("Identifiant de question en double : « %s ».") % link_id)
        kind = item.get("type")
        if kind not in ITEM_TYPES:
            problems.append(_("« %(q)s » : type inconnu « %(t)s ».") % {"q": label, "t": kind})
        if not parents and kind != "group":
            problems.append(_("« %s » : le premier niveau doit être une section.") % label)
        if kind == "group" and not item.get("items"):
            problems.append(_("« %s » : la section ou le groupe est vide.") % label)
        if item.get("repeats") and kind != "group":
            problems.append(_("« %s » : seul un groupe peut se répéter.") % label)
        if any(p.get("repeats") for p in parents):
            in_repeat.add(link_id)
        if kind in ("choice", "multichoice"):
            codes = [str(o.get("code", "")) for o in item.get("options") or []]
            if not codes or not all(codes):
                problems.append(_("« %s » : une liste de réponses est nécessaire.") % label)
            elif len(set(codes)) != len(codes):
                problems.append(_("« %s » : deux réponses ont le même code.") % label)
        section = str((parents[0] if parents else item).get("linkId"))
        low, high = item.get("min"), item.get("max")
        if not (_number(low) and _number(high)):
            # A bound that is not a number would fail every save of the form (a 500).
            problems.append(_("« %s » : le minimum et le maximum sont des nombres.") % label)
        elif low is not None and high is not None and Decimal(str(low)) > Decimal(str(high)):
            problems.append(_("« %s » : le minimum dépasse le maximum.") % label)
        if kind == "scale" and (low is None or high is None):
            problems.append(_("« %s » : une échelle a un minimum et un maximum.") % label)
        for cond in item.get("enableWhen") or []:
            target = cond.get("question")
            if target not in seen:
                problems.append(
                    _("« %(q)s » : la condition porte sur « %(t)s », absente avant elle.")
                    % {"q": label, "t": target}
                )
            elif sections.get(target) != section:
                # Rights are per section: whether this item is shown, required or kept would
                # tell a profile that reads only this section the other section's answer.
                problems.append(
                    _("« %(q)s » : la condition porte sur « %(t)s », d'une autre section.")
                    % {"q": label, "t": target}
                )
            elif target in in_repeat:
                problems.append(
                    _("« %(q)s » : la condition ne peut porter sur un groupe répété (« %(t)s »).")
                    % {"q": label, "t": target}
                )
            if cond.get("operator") not in OPERATORS:
                problems.append(_("« %s » : opérateur de condition inconnu.") % label)
        if kind == "score":
            for source in item.get("sources") or []:
                target_item = seen.get(source)
                if target_item is None or target_item.get("type") != "choice":
                    problems.append(
                        _("« %(q)s » : « %(t)s » n'est pas une question à choix placée avant.")
                        % {"q": label, "t": source}
                    )
                elif sections.get(source) != section:
                    # The score would show the answers of a section the reader may not read.
                    problems.append(
                        _("« %(q)s » : « %(t)s » est dans une autre section.")
                        % {"q": label, "t": source}
                    )
            levels = item.get("levels") or []
            if not isinstance(levels, list) or not all(
                isinstance(b, dict)
                and b.get("min") is not None
                and _number(b["min"])
                and b.get("label")
                for b in levels
            ):
                problems.append(
                    _("« %s » : chaque niveau a un seuil numérique et un libellé.") % label
                )
            if not item.get("sources"):
                problems.append(_("« %s » : un score additionne au moins une question.") % label)
        seen[link_id] = item
        sections[link_id] = section
    return problems


def _number(value: Any) -> bool:
    """Whether ``value`` is absent or a finite number (int, float or numeric string)."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)).is_finite()
    except InvalidOperation:
        return False


# ---------------------------------------------------------------- answers


def _text(item: dict, parents: tuple) -> str:
    return " › ".join([*(p.get("text") or p["linkId"] for p in parents), item.get("text") or ""])


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def condition_holds(cond: dict, answers_by_id: dict[str, Any]) -> bool:
    """Whether one enableWhen condition holds given the answers so far ``{linkId: value}``
    (FHIR R4 Questionnaire.item.enableWhen; ``exists`` compares with a boolean answer)."""
    value = answers_by_id.get(str(cond.get("question")))
    operator = str(cond.get("operator"))
    expected = cond.get("answer")
    if operator == "exists":
        return (not _empty(value)) == bool(expected in (True, "true", "1", 1))
    if _empty(value):
        return operator == "!="
    if isinstance(value, list):  # multichoice: "=" means "includes"
        return (str(expected) in [str(v) for v in value]) == (operator == "=")
    if isinstance(value, bool) or isinstance(expected, bool):
        truth = str(expected).lower() in ("true", "1", "oui")
        same = bool(value) == truth
        return same if operator == "=" else (not same if operator == "!=" else False)
    if operator in ("=", "!="):
        same = str(value) == str(expected)
        return same if operator == "=" else not same
    try:
        left, right = Decimal(str(value)), Decimal(str(expected))
    except InvalidOperation:
        left, right = str(value), str(expected)  # type: ignore[assignment]  # dates as ISO
    return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[
        operator
    ]


def enabled(item: dict, answers_by_id: dict[str, Any]) -> bool:
    """Whether ``item`` is shown given the answers so far (all its conditions hold)."""
    return all(condition_holds(c, answers_by_id) for c in item.get("enableWhen") or [])


def _coerce(item: dict, raw: Any) -> Any:
    """The clean value of one answered item, or raises ValueError with a French message."""
    kind = item["type"]
    if kind in ("string", "text"):
        value = str(raw).strip()
        limit = 200 if kind == "string" else MAX_TEXT
        if len(value) > limit:
            raise ValueError(_("%d caractères au plus.") % limit)
        return value
    if kind in ("integer", "scale", "decimal"):
        try:
            number = Decimal(str(raw).strip().replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("un nombre est attendu.")) from None
        if not number.is_finite():
            raise ValueError(_("un nombre est attendu."))
        if kind != "decimal" and number != number.to_integral_value():
            raise ValueError(_("un nombre entier est attendu."))
        low, high = item.get("min"), item.get("max")
        if low is not None and number < Decimal(str(low)):
            raise ValueError(_("la valeur doit être au moins %s.") % low)
        if high is not None and number > Decimal(str(high)):
            raise ValueError(_("la valeur doit être au plus %s.") % high)
        return int(number) if kind != "decimal" else str(number.normalize())
    if kind == "date":
        try:
            day = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(_("une date (AAAA-MM-JJ) est attendue.")) from None
        if not date(1900, 1, 1) <= day <= date(2100, 12, 31):
            raise ValueError(_("date hors des limites."))
        return day.isoformat()
    if kind == "boolean":
        if raw in (True, False):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "oui", "on", "yes"):
            return True
        if text in ("false", "0", "non", "no"):
            return False
        raise ValueError(_("oui ou non est attendu."))
    codes = [str(o["code"]) for o in item.get("options") or []]
    if kind == "choice":
        if str(raw) not in codes:
            raise ValueError(_("réponse hors de la liste."))
        return str(raw)
    if kind == "multichoice":
        values = raw if isinstance(raw, list) else [raw]
        chosen = [str(v) for v in values if not _empty(v)]
        if any(v not in codes for v in chosen):
            raise ValueError(_("réponse hors de la liste."))
        return [c for c in codes if c in chosen]  # the list's order, no duplicate
    raise ValueError(_("type de question inconnu."))


def score_of(item: dict, definition: list[dict], answers_by_id: dict[str, Any]) -> dict | None:
    """The computed score of a ``score`` item: ``{"value": sum, "level": label}``, or None
    when a source question is unanswered. The sum adds each chosen option's ``score``."""
    total = Decimal(0)
    for source in item.get("sources") or []:
        chosen = answers_by_id.get(source)
        if _empty(chosen):
            return None
        source_item = find_item(definition, source) or {}
        for option in source_item.get("options") or []:
            if str(option["code"]) == str(chosen):
                total += Decimal(str(option.get("score") or 0))
    level = ""
    for band in sorted(item.get("levels") or [], key=lambda b: Decimal(str(b["min"]))):
        if total >= Decimal(str(band["min"])):
            level = str(band["label"])
    value: int | str = int(total) if total == total.to_integral_value() else str(total)
    return {"value": value, "level": level}


def validate(
    definition: list[dict], raw: Any, *, only: set[str] | None = None
) -> tuple[dict, list[FieldError]]:
    """Check ``raw`` answers against the definition; return ``(clean answers, errors)``.

    Takes the definition and answers in the module's shape (values may be strings, as parsed
    from a web form). Answers to items not shown (their conditions do not hold) and to unknown
    items are dropped; required items shown must be answered; every value is coerced to its
    type within its bounds; scores are recomputed. A repeating group keeps its rows in order;
    an empty row is dropped. ``only``: the sections whose problems count (the sections the
    user writes; the others were validated when written and feed conditions and scores).
    Raises nothing: each problem is one FieldError naming the item.
    """
    errors: list[FieldError] = []
    flat: dict[str, Any] = {}  # non-repeated answers so far, for conditions and scores
    raw = raw if isinstance(raw, dict) else {}

    def group(items: list[dict], given: dict, parents: tuple, path: str, top: bool) -> dict:
        out: dict[str, Any] = {}
        for item in items:
            link_id = item["linkId"]
            here = f"{path}{link_id}"
            kind = item["type"]
            if not enabled(item, flat):
                continue
            value = given.get(link_id) if isinstance(given, dict) else None
            if kind == "group":
                if item.get("repeats"):
                    rows = value if isinstance(value, list) else []
                    if len(rows) > MAX_REPEATS:
                        errors.append(
                            FieldError(
                                here,
                                _text(item, parents),
                                _("%d lignes au plus.") % MAX_REPEATS,
                            )
                        )
                        rows = rows[:MAX_REPEATS]
                    kept = []
                    for index, row in enumerate(rows):
                        if not isinstance(row, dict) or all(_empty(v) for v in row.values()):
                            continue
                        kept.append(
                            group(
                                item["items"],
                                row,
                                (*parents, item),
                                f"{here}.{index}.",
                                top=False,
                            )
                        )
                    kept = [r for r in kept if r]
                    if kept:
                        out[link_id] = kept
                    elif item.get("required"):
                        errors.append(
                            FieldError(here, _text(item, parents), _("au moins une ligne."))
                        )
                else:
                    inner = group(
                        item["items"],
                        value if isinstance(value, dict) else {},
                        (*parents, item),
                        f"{here}.",
                        top=False,
                    )
                    if inner:
                        out[link_id] = inner
                continue
            if kind == "display":
                continue
            if kind == "score":
                result = score_of(item, definition, flat)
                if result is not None:
                    out[link_id] = result
                    flat[link_id] = result["value"]
                continue
            if _empty(value) or (kind == "multichoice" and not [v for v in value or [] if v]):
                if item.get("required"):
                    errors.append(FieldError(here, _text(item, parents), _("réponse obligatoire.")))
                continue
            try:
                clean = _coerce(item, value)
            except ValueError as exc:
                errors.append(FieldError(here, _text(item, parents), str(exc)))
                continue
            out[link_id] = clean
            if not any(p.get("repeats") for p in parents):
                flat[link_id] = clean
        return out

    clean = group(definition, raw, (), "", top=True)
    if only is not None:
        errors = [e for e in errors if e.path.split(".")[0] in only]
    return clean, errors


def parse_post(definition: list[dict], data: Any, extra_rows: dict[str, int] | None = None) -> dict:
    """The raw answers tree from a web form's fields (a Django QueryDict or a dict of lists).

    Field names are the item paths (``section.item``, ``section.group.0.item``); a repeating
    group's row count comes from the ``<path>.__rows`` field (plus ``extra_rows[path]`` rows
    asked for by « Ajouter une ligne »). Multichoice values come as several values of one
    field. Returns the raw tree for ``validate``."""
    extra_rows = extra_rows or {}

    def get(name: str, many: bool = False) -> Any:
        if hasattr(data, "getlist"):
            values = data.getlist(name)
        else:
            values = data.get(name, [])
            values = values if isinstance(values, list) else [values]
        if many:
            return [v for v in values if v != ""]
        return values[-1] if values else None

    def group(items: list[dict], path: str) -> dict:
        out: dict[str, Any] = {}
        for item in items:
            here = f"{path}{item['linkId']}"
            kind = item["type"]
            if kind == "group":
                if item.get("repeats"):
                    try:
                        count = int(get(f"{here}.__rows") or 0)
                    except ValueError:
                        count = 0
                    count = max(0, min(count, MAX_REPEATS + 1)) + extra_rows.get(here, 0)
                    out[item["linkId"]] = [
                        group(item["items"], f"{here}.{index}.") for index in range(count)
                    ]
                else:
                    out[item["linkId"]] = group(item["items"], f"{here}.")
            elif kind in ANSWERED_TYPES:
                out[item["linkId"]] = get(here, many=kind == "multichoice")
        return out

    return group(definition, "")


def sections_of(definition: list[dict]) -> list[tuple[str, str]]:
    """``[(linkId, text)]`` of the top-level sections, in order."""
    return [(s["linkId"], s.get("text") or s["linkId"]) for s in definition]


def filter_sections(answers: dict, allowed: set[str]) -> dict:
    """The answers of the sections in ``allowed`` only (linkIds of top-level sections)."""
    return {k: v for k, v in answers.items() if k in allowed}


def merge_sections(old: dict, new: dict, writable: set[str]) -> dict:
    """``old`` answers with the sections in ``writable`` replaced by ``new``'s: a profile
    writes its sections and never erases the ones it cannot see."""
    merged = {k: v for k, v in old.items() if k not in writable}
    merged.update({k: v for k, v in new.items() if k in writable})
    return merged
