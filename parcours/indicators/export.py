"""What the indicator pages hand out: CSV files a French spreadsheet opens right, and the
chart descriptions the page draws (and shows as tables)."""

from __future__ import annotations

import csv
from datetime import date

from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _


def fr_number(value) -> str:
    """A number the way the page shows it: decimal comma, no thousands separator; ``None``
    (nothing to measure) becomes an empty cell. Integers stay integers."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.1f}"
        if text.endswith(".0"):
            text = text[:-2]
        return text.replace(".", ",")
    return str(value)


def _text_cell(value) -> str:
    """Text as a spreadsheet must not run it: a leading ``= + - @`` (a name typed in the
    admin) is preceded by an apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_response(
    *,
    filename: str,
    title: str,
    filters: list[tuple[str, str]],
    header: list[str],
    rows: list[list],
) -> HttpResponse:
    """A ``;``-separated UTF-8 CSV with a byte-order mark (Excel and LibreOffice then read the
    accents right), its first lines stating what it is, the period and the filters, then a
    blank line, the header and the rows. Numbers (int/float/None) get decimal commas."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([title])
    for label, value in filters:
        writer.writerow([label, _text_cell(value)])
    writer.writerow([_("Extrait le"), formats.date_format(timezone.localtime(), "d/m/Y H:i")])
    writer.writerow([])
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                fr_number(v) if v is None or isinstance(v, int | float) else _text_cell(v)
                for v in row
            ]
        )
    return response


def month_label(month: date) -> str:
    """« juin 2026 »: the month in words (French abbreviations of June and July clash)."""
    return formats.date_format(month, "F Y")


def chart(
    *,
    key: str,
    title: str,
    kind: str,
    labels: list[str],
    series: list[dict],
    unit: str = "",
    stacked: bool = False,
    first_column: str = "",
) -> dict:
    """A chart for ``indicators/_chart.html``: its data go to the page twice, as a table
    (screen readers, print, no JavaScript) and as JSON for the chart library.

    ``kind`` is ``"bar"`` or ``"line"``; ``series`` are ``{"label": str, "data": [numbers or
    None]}`` aligned on ``labels``; ``unit`` is appended to values (« % », « h »)."""
    if kind not in ("bar", "line"):
        raise ValueError(f"unknown chart kind {kind!r}")
    return {
        "key": key,
        "title": title,
        "unit": unit,
        "first_column": first_column,
        "json": {
            "type": kind,
            "stacked": stacked,
            "unit": unit,
            "labels": labels,
            "series": series,
        },
        "rows": [(label, [s["data"][i] for s in series]) for i, label in enumerate(labels)],
        "series": [s["label"] for s in series],
    }
