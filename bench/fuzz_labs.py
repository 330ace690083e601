"""Fuzzing the lab file parsers: mutations of valid files (the shared samples and an HL7
fixture) — bytes flipped, inserted, deleted, lines duplicated or cut, separators swapped — fed
to ``parse_file``. Anything but a result or a LabParseError is a crash, printed with its input.

    .venv/bin/python bench/fuzz_labs.py [--seconds 120] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parcours.lib.labs import LabParseError, parse_file  # noqa: E402

CORPUS = ROOT / "parcours" / "lib" / "tests" / "lab_corpus"
# Every file of the lab corpus (valid and refused ones: both kinds of starting point), and the
# HL7 fixture.
SEEDS = [*sorted(CORPUS.iterdir()), CORPUS.parent / "fixtures" / "oru_r01.hl7"]
TOKENS = [
    b"|",
    b"^",
    b"~",
    b"\\",
    b"&",
    b"\r\n",
    b"\n",
    b"\r",
    b"****LAB****",
    b"****FIN****",
    b"RES|",
    b"TEX|",
    b"OBX|",
    b"P|",
    b"A|",
    b"MSH|",
    b"PID|",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"99999999",
    b"-",
    b"/",
    b"\x0b",
    b"\x1c",
    b"FHS|",
    b"BHS|",
    b"H|",
    b"L|1",
    b"\\.br\\",
    b"\\.sp 5\\",
    b"\\X",
    b"+0100",
    b"<",
    b">=",
    b"SN",
    b"CWE",
    b"TX",
    b"1.2.250.1.213.1.4.8",
    b"^INS",
    b"8859/1",
    b"UNICODE UTF-8",
    b"\x1a",
    b"\x92",
    b"\x82",
]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randrange(6)
        pos = rnd.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rnd.randrange(256)
        elif op == 1:
            buf[pos:pos] = rnd.choice(TOKENS)
        elif op == 2 and buf:
            del buf[pos : pos + rnd.randint(1, 20)]
        elif op == 3:
            lines = bytes(buf).split(b"\n")
            i = rnd.randrange(len(lines))
            lines.insert(i, lines[i])
            buf = bytearray(b"\n".join(lines))
        elif op == 4:
            buf = buf[:pos]
        else:
            a, b = rnd.sample(TOKENS[:5], 2)
            buf = bytearray(bytes(buf).replace(a, b))
    return bytes(buf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    seeds = [p.read_bytes() for p in SEEDS if p.exists()]
    runs = parsed = refused = crashes = 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        data = mutate(rnd.choice(seeds), rnd)
        runs += 1
        try:
            parse_file(data)
            parsed += 1
        except LabParseError:
            refused += 1
        except Exception:  # noqa: BLE001 - that is what we are looking for
            crashes += 1
            if crashes <= 5:
                print(f"CRASH on {data[:300]!r}", file=sys.stderr)
                traceback.print_exc()
    print(
        f"{runs} mutated files in {args.seconds:.0f} s: {parsed} parsed, {refused} refused "
        f"with a line and reason, {crashes} crashes"
    )
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
