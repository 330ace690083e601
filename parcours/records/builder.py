"""The form builder's edits on a draft definition: pure functions returning a new definition
(``formdef`` shape), raising ``Invalid`` with a French message. The builder page parses its
form into these; ``services.draft_save`` stores the result."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext as _

from parcours.lib.errors import Invalid

from . import formdef


def _number(text: str, field: str) -> int | float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid(_("Un nombre est attendu."), field=field) from None
    return int(value) if value == value.to_integral_value() else float(value)


def parse_options(text: str) -> list[dict]:
    """Answer list lines ``code | libellé | points`` (libellé and points optional; a line with
    only a label gets a code made from it) into ``[{"code", "display", "score"?}]``."""
    options = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        if len(parts) == 1:
            code, display = slugify(parts[0])[:40] or parts[0], parts[0]
        else:
            code, display = parts[0], parts[1] or parts[0]
        option: dict = {"code": code, "display": display}
        if len(parts) > 2 and parts[2]:
            option["score"] = _number(parts[2], "options")
        options.append(option)
    return options


def parse_levels(text: str) -> list[dict]:
    """Score band lines ``minimum | libellé`` into ``[{"min", "label"}]``."""
    levels = []
    for line in (text or "").splitlines():
        if "|" not in line:
            continue
        low, label = (p.strip() for p in line.split("|", 1))
        levels.append({"min": _number(low, "levels") or 0, "label": label})
    return levels


def item_from_fields(data: dict, definition: list[dict]) -> dict:
    """A new item from the builder's add-item fields (``type``, ``text``, ``link_id``,
    ``required``, ``repeats``, ``help``, ``unit``, ``min``, ``max``, ``options``,
    ``when_question``, ``when_operator``, ``when_answer``, ``sources``, ``levels``)."""
    kind = data.get("type") or ""
    if kind not in formdef.ITEM_TYPES:
        raise Invalid(_("Choisissez un type de question."), field="type")
    text = (data.get("text") or "").strip()
    if not text:
        raise Invalid(_("Donnez un libellé."), field="text")
    link_id = (data.get("link_id") or "").strip() or slugify(text).replace("-", "_")[:40]
    base, n = link_id, 2
    while formdef.find_item(definition, link_id) is not None:
        if data.get("link_id"):
            raise Invalid(_("Cet identifiant est déjà utilisé."), field="link_id")
        link_id, n = f"{base}_{n}", n + 1
    item: dict = {"linkId": link_id, "text": text[:300], "type": kind}
    if data.get("required"):
        item["required"] = True
    if data.get("repeats") and kind == "group":
        item["repeats"] = True
    if (data.get("help") or "").strip():
        item["help"] = data["help"].strip()[:500]
    if kind in ("integer", "decimal") and (data.get("unit") or "").strip():
        item["unit"] = data["unit"].strip()[:20]
    for bound in ("min", "max"):
        value = _number(data.get(bound) or "", bound)
        if value is not None:
            item[bound] = value
    if kind in ("choice", "multichoice"):
        item["options"] = parse_options(data.get("options") or "")
    if kind == "group":
        item["items"] = []
    if kind == "score":
        item["sources"] = [s.strip() for s in (data.get("sources") or "").split(",") if s.strip()]
        item["levels"] = parse_levels(data.get("levels") or "")
    question = (data.get("when_question") or "").strip()
    if question:
        item["enableWhen"] = [
            {
                "question": question,
                "operator": data.get("when_operator") or "=",
                "answer": (data.get("when_answer") or "").strip(),
            }
        ]
    return item


def add_item(definition: list[dict], item: dict, parent: str = "") -> list[dict]:
    """A copy of ``definition`` with ``item`` appended to the group ``parent`` (a top-level
    section when ``parent`` is empty: it must then be a group)."""
    new = copy.deepcopy(definition)
    if not parent:
        if item["type"] != "group":
            raise Invalid(_("Au premier niveau, ajoutez une section (groupe)."), field="parent")
        new.append(item)
        return new
    group = formdef.find_item(new, parent)
    if group is None or group.get("type") != "group":
        raise Invalid(_("Section ou groupe introuvable."), field="parent")
    group.setdefault("items", []).append(item)
    return new


def _siblings(definition: list[dict], link_id: str) -> list[dict] | None:
    if any(i.get("linkId") == link_id for i in definition):
        return definition
    for item, _parents in formdef.walk(definition):
        children = item.get("items") or []
        if any(c.get("linkId") == link_id for c in children):
            return children
    return None


def remove_item(definition: list[dict], link_id: str) -> list[dict]:
    """A copy without the item ``link_id`` (and its children); conditions and scores naming
    it are checked again at publication."""
    new = copy.deepcopy(definition)
    siblings = _siblings(new, link_id)
    if siblings is None:
        raise Invalid(_("Question introuvable."), field="link_id")
    siblings[:] = [i for i in siblings if i.get("linkId") != link_id]
    return new


def move_item(definition: list[dict], link_id: str, step: int) -> list[dict]:
    """A copy with the item moved ``step`` places (-1 up, +1 down) among its siblings."""
    new = copy.deepcopy(definition)
    siblings = _siblings(new, link_id)
    if siblings is None:
        raise Invalid(_("Question introuvable."), field="link_id")
    index = next(i for i, item in enumerate(siblings) if item.get("linkId") == link_id)
    target = index + step
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    return new


def groups_of(definition: list[dict]) -> list[tuple[str, str]]:
    """``[(linkId, label)]`` of every section and group, indented by depth, for a choice."""
    return [
        (item["linkId"], "— " * len(parents) + (item.get("text") or item["linkId"]))
        for item, parents in formdef.walk(definition)
        if item.get("type") == "group"
    ]
