"""The database matcher's candidate retrieval (``patients/matching.py``), in memory, for the
quality benchmarks and the weight estimation: what is measured is what ``$match`` retrieves.

Blocking rules (OR-ed):

- ``date``: the same birth date, or day and month swapped;
- ``name``: the same name sound and first-name sound, or the same name sound within a year of
  the birth date, both kept only when the month or the day of the birth date agrees (without a
  birth date: the name and first-name sound alone);
- ``id``: the same INS or local identifier (system and value).

The phone is not a blocking rule (the database has no index on it): it is only scored.
"""

from __future__ import annotations

from collections import defaultdict

from parcours.lib.identity import Identity, given_key, name_key, swapped


class Blocks:
    def __init__(self, refs: list[Identity]):
        self.refs = refs
        self.by_date, self.by_names, self.by_name_year, self.by_id = (
            defaultdict(list) for _ in range(4)
        )
        for i, r in enumerate(refs):
            if r.birth_date:
                self.by_date[r.birth_date].append(i)
                self.by_name_year[(name_key(r.birth_name), r.birth_date.year)].append(i)
            self.by_names[(name_key(r.birth_name), given_key(r.given_names))].append(i)
            for key in self._id_keys(r):
                self.by_id[key].append(i)

    @staticmethod
    def _id_keys(r: Identity) -> list[str]:
        keys = [f"id:{x}" for x in r.identifiers]
        if r.ins:
            keys.append(f"ins:{r.ins}")
        return keys

    def tagged(self, q: Identity) -> dict[int, set[str]]:
        """Candidates of ``q``, each with the rules that retrieve it."""
        out: dict[int, set[str]] = defaultdict(set)
        d = q.birth_date
        for x in (d, swapped(d)):
            if x:
                for i in self.by_date.get(x, ()):
                    out[i].add("date")
        keys = {k for k in (name_key(q.birth_name), name_key(q.used_name)) if k}
        gkey = given_key(q.given_names)
        near: set[int] = set()
        for k in keys:
            if gkey:
                near.update(self.by_names.get((k, gkey), ()))
            if d is not None:
                for y in (d.year - 1, d.year, d.year + 1):
                    near.update(self.by_name_year.get((k, y), ()))
        for i in near:
            other = self.refs[i].birth_date
            if d is None or (other and (other.month == d.month or other.day == d.day)):
                out[i].add("name")
        for key in self._id_keys(q):
            for i in self.by_id.get(key, ()):
                out[i].add("id")
        return out

    def candidates(self, q: Identity) -> set[int]:
        return set(self.tagged(q))
