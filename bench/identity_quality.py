"""Matching quality on the labelled synthetic set (bench/identity_dataset.py), for Parcours'
matcher (parcours/lib/identity.py, with the same blocking keys as the database matcher) and
for the record-linkage library ``recordlinkage`` on the same data.

    .venv/bin/python bench/identity_quality.py [--people 20000] [--seed 4]

Each query record is matched against all reference records. Reported:

- precision of "certain" (target ≥ 0.999): of the pairs graded certain, the share that are
  the same person;
- precision, recall and F1 at "probable" (target F1 ≥ 0.99): a pair graded probable or
  certain counts as a predicted match; recall is over the queries that have a true match.
- recordlinkage: the same blocking (birth date and swapped date, name sound + first-name
  sound, name sound + birth year ±1), its Jaro-Winkler / exact / date (with day-month swap)
  comparators, and the classic sum-of-features rule; its threshold is the best one found on
  this same data (favouring the baseline). Its "certain" is "all five features exact".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.identity_blocks import Blocks  # noqa: E402
from bench.identity_dataset import Rec, dataset  # noqa: E402
from parcours.lib.identity import (  # noqa: E402
    GRADE_ORDER,
    Identity,
    compare,
    given_key,
    name_key,
    swapped,
)
from parcours.lib.text import ins_form  # noqa: E402


def identity(r: Rec) -> Identity:
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


def evaluate_parcours(refs: list[Rec], queries: list[Rec]) -> dict:
    ref_ids = [identity(r) for r in refs]
    blocks = Blocks(ref_ids)
    entity_of = [r.entity for r in refs]
    ref_entities = set(entity_of)
    counts = defaultdict(int)
    errors = defaultdict(int)
    pairs = 0
    start = time.perf_counter()
    for q in queries:
        qi = identity(q)
        found_true = False
        for i in blocks.candidates(qi):
            pairs += 1
            m = compare(qi, ref_ids[i])
            same = entity_of[i] == q.entity
            level = GRADE_ORDER[m.grade]
            if level >= 3:
                counts["certain_tp" if same else "certain_fp"] += 1
            if level >= 2:
                counts["tp" if same else "fp"] += 1
                found_true |= same
                if not same:
                    errors[f"fp:{q.error}"] += 1
        if q.entity in ref_entities and not found_true:
            counts["fn"] += 1
            errors[f"fn:{q.error}"] += 1
    elapsed = time.perf_counter() - start
    return _report(counts, pairs, elapsed, len(queries), errors)


def _report(counts, pairs, elapsed, n, errors=None) -> dict:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    ctp, cfp = counts["certain_tp"], counts["certain_fp"]
    return {
        "certain_precision": ctp / (ctp + cfp) if ctp + cfp else 1.0,
        "certain_pairs": ctp + cfp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "pairs_scored": pairs,
        "ms_per_query": 1000 * elapsed / max(n, 1),
        "errors": dict(sorted((errors or {}).items(), key=lambda kv: -kv[1])[:8]),
    }


def evaluate_recordlinkage(refs: list[Rec], queries: list[Rec]) -> dict:
    import pandas as pd
    import recordlinkage

    def frame(rows):
        ids = [identity(r) for r in rows]
        return pd.DataFrame(
            {
                "entity": [r.entity for r in rows],
                "family": [i.birth_name for i in ids],
                "given": [(i.given_names.split() or [""])[0] for i in ids],
                "born": pd.to_datetime([r.birth_date for r in rows]),
                "born_s": [r.birth_date for r in rows],
                "swapped": [(swapped(i.birth_date) or i.birth_date).isoformat() for i in ids],
                "year": [i.birth_date.year for i in ids],
                "sex": [i.sex for i in ids],
                "place": [i.birthplace or None for i in ids],  # missing: 0.5
                "nkey": [name_key(i.birth_name) for i in ids],
                "gkey": [given_key(i.given_names) for i in ids],
            }
        )

    a, b = frame(queries), frame(refs)
    start = time.perf_counter()
    idx = recordlinkage.Index()
    idx.block("born_s")
    idx.block(left_on="swapped", right_on="born_s")
    idx.block(["nkey", "gkey"])
    idx.block(["nkey", "year"])
    links = idx.index(a, b)
    cmp = recordlinkage.Compare()
    cmp.string("family", "family", method="jarowinkler", label="family")
    cmp.string("given", "given", method="jarowinkler", label="given")
    cmp.date("born", "born", label="born")  # 1 equal, 0.5 day/month swapped, 0 else
    cmp.exact("sex", "sex", label="sex")
    cmp.exact("place", "place", missing_value=0.5, label="place")
    features = cmp.compute(links, a, b)
    elapsed = time.perf_counter() - start
    left = features.index.get_level_values(0).to_numpy()
    right = features.index.get_level_values(1).to_numpy()
    truth = a["entity"].to_numpy()[left] == b["entity"].to_numpy()[right]
    ref_entities = set(b["entity"])
    has_match = a["entity"].isin(ref_entities).to_numpy()
    total = features.sum(axis=1).to_numpy()
    best = None
    for threshold in [x / 20 for x in range(60, 100)]:
        pred = total >= threshold
        tp = int((pred & truth).sum())
        fp = int((pred & ~truth).sum())
        found = set(left[pred & truth])
        fn = int(sum(1 for i, h in enumerate(has_match) if h and i not in found))
        counts = defaultdict(int, tp=tp, fp=fp, fn=fn)
        exact = (features == 1).all(axis=1).to_numpy()
        counts["certain_tp"] = int((exact & truth).sum())
        counts["certain_fp"] = int((exact & ~truth).sum())
        rep = _report(counts, len(features), elapsed, len(queries))
        rep["threshold"] = threshold
        if best is None or rep["f1"] > best["f1"]:
            best = rep
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--contact",
        action="store_true",
        help="records also carry address, postcode, town and phone",
    )
    args = parser.parse_args()
    refs, queries = dataset(args.people, args.seed, args.contact)
    dup = sum(1 for q in queries if q.entity < args.people)
    print(
        f"{len(refs)} reference identities, {len(queries)} queries "
        f"({dup} true duplicates, {len(queries) - dup} other people)"
    )
    for name, fn in (("parcours", evaluate_parcours), ("recordlinkage", evaluate_recordlinkage)):
        rep = fn(refs, queries)
        print(f"\n{name}:")
        for k, v in rep.items():
            print(f"  {k}: {v:.4f}" if isinstance(v, float) else f"  {k}: {v}")


if __name__ == "__main__":
    main()
