"""Build ``cog_communes.json.gz`` from the ``communes.json`` of Etalab's npm package
``@etalab/decoupage-administratif`` (MIT; data: INSEE's Code officiel géographique, COG).

    npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-*.tgz
    python parcours/patients/data/build_cog.py package/data/communes.json 2026 6.0.0

Keeps, per entry, the code, the name, the département, the kind (current commune, delegated
or associated commune, municipal arrondissement) and the population (ranks the suggestions),
and the former codes of merged communes (a person born before a merger keeps the old code).
"""

import gzip
import json
import sys
from pathlib import Path

KINDS = {
    "commune-actuelle": "",
    "commune-deleguee": "D",
    "commune-associee": "A",
    "arrondissement-municipal": "M",
}


def build(source: Path, year: int, version: str, target: Path) -> int:
    rows: list = []
    former: dict = {}
    for c in json.loads(source.read_text(encoding="utf-8")):
        kind = KINDS.get(c.get("type"))
        if kind is None:
            continue
        rows.append(
            [c["code"], c["nom"], c.get("departement", ""), kind, c.get("population", 0) or 0]
        )
        for old in c.get("anciensCodes", []):
            former.setdefault(old, c["code"])
    rows.sort(key=lambda r: (r[0], r[3]))
    data = {
        "year": year,
        "source": f"@etalab/decoupage-administratif {version} (npm), "
        f"Code officiel géographique {year} (INSEE)",
        "communes": rows,
        "former": dict(sorted(former.items())),
    }
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=9) as out:
        json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
    return len(rows)


if __name__ == "__main__":
    src, year, version = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    n = build(src, year, version, Path(__file__).with_name("cog_communes.json.gz"))
    print(f"{n} entries")
