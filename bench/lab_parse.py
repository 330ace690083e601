"""Parser speed per format (MB/s), on synthetic files of realistic size built in memory.

.venv/bin/python bench/lab_parse.py [--files 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parcours.lib.labs import parse_file  # noqa: E402


def hprim_net(i: int) -> bytes:
    lines = [
        f"{i:010d}",
        "NOMFICTIF",
        "PRÉNOM",
        "1 rue Imaginaire",
        "",
        "53000LAVAL",
        "01/02/1960",
        "",
        f"LB-{i}",
        "21/11/2026",
        "LABO53    Laboratoire fictif",
        "GP0000042 Dr Fictif",
        "",
        "Compte rendu fictif.",
        "****LAB****",
    ]
    lines += [
        f"RES|Analyse {k}|A{k}|N|{k}.{i % 10}|g/L|1.0|9.0|{'H' if k % 5 == 0 else 'N'}|F|||||"
        for k in range(25)
    ]
    lines += ["****FIN****", "****FINFICHIER****"]
    return "\r\n".join(lines).encode("latin-1")


def hprim_sante(i: int) -> bytes:
    lines = [
        "H|~^\\&|||LABO53^Laboratoire fictif|||ORU|||GP0000042^Dr Fictif||P|H2.2~C|202611211030",
        f"P|1||LB-{i}||NOMFICTIF~PRENOM||19600201|F",
        "OBR|1|||BIL~Bilan||202611210800|202611210815",
    ]
    lines += [
        f"OBX|{k}|NM|A{k}~Analyse {k}||{k}.{i % 10}|g/L|1.0-9.0|{'H' if k % 5 == 0 else ''}"
        f"|||F|||202611211000"
        for k in range(25)
    ]
    lines.append("L|1|N|28")
    return "\r\n".join(lines).encode("latin-1")


def hl7v2(i: int) -> bytes:
    lines = [
        f"MSH|^~\\&|LABSYS|LABO53^Laboratoire fictif|PARCOURS|MSP|202611211030||ORU^R01|M{i}|P|2.5",
        f"PID|1||LB-{i}||NOMFICTIF^PRENOM||19600201|F",
        "OBR|1|C1|LB1|BIL^Bilan|||202611210800|||||||||GP0000042^FICTIF^DR",
    ]
    lines += [
        f"OBX|{k}|NM|{1000 + k}-0^Analyse {k}^LN||{k}.{i % 10}|g/L|1.0-9.0|"
        f"{'H' if k % 5 == 0 else 'N'}|||F|||202611211000"
        for k in range(25)
    ]
    return "\r".join(lines).encode("latin-1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    for name, make in (("HPRIM Net", hprim_net), ("HPRIM Santé", hprim_sante), ("HL7 v2", hl7v2)):
        files = [make(i) for i in range(args.files)]
        size = sum(len(f) for f in files)
        t0 = time.perf_counter()
        results = sum(len(r.results) for f in files for r in parse_file(f)[1])
        dt = time.perf_counter() - t0
        print(
            f"{name:12s}: {args.files} files, {size / 1e6:.2f} MB, {results} results in "
            f"{dt:.2f} s → {size / 1e6 / dt:.2f} MB/s, {args.files / dt:,.0f} files/s"
        )


if __name__ == "__main__":
    main()
