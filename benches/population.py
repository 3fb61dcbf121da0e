"""What the population scripts (`benches/*_population.py`, issue #20's redaction rounds) share:
a split's documents with their gold spans and a variant's findings, and the tally of a
candidate class against the gold labels.

A split lives in /tmp/pii/<split>/ as `corpus.jsonl` (the documents), `labels.jsonl` (gold
spans, byte offsets, and each JSON string's offset) and `<VARIANT>.jsonl` (the engine's
findings, `pii_eval`'s output); `pii_score.py` scores the same files.
"""
import collections

from pii_score import finding_span, load


def documents(split, variant, placeholders=True):
    """Each document of `split` as (doc, raw bytes, its labels, gold spans, the variant's
    findings as spans): spans are (type, start, end) in raw bytes. With `placeholders`, a
    finding the engine flags as a documentation placeholder counts as PLACEHOLDER, as
    `pii_score.py` scores it."""
    d = f"/tmp/pii/{split}"
    docs = load(f"{d}/corpus.jsonl")
    labels = {x["id"]: x for x in load(f"{d}/labels.jsonl")}
    found = {row["id"]: row["findings"] for row in load(f"{d}/{variant}.jsonl")}
    for doc in docs:
        raw = doc["text"].encode()
        lab = labels[doc["id"]]
        gold = [(s["type"], s["start"], s["end"]) for s in lab["spans"]]
        preds = []
        for f in found.get(doc["id"], []):
            sp = finding_span(f, lab["strings"], raw)
            if sp:
                typ = "PLACEHOLDER" if placeholders and f.get("placeholder") else f["type"]
                preds.append((typ, sp[0], sp[1]))
        yield doc, raw, lab, gold, preds


def overlaps(spans, typ, s, e):
    """Whether a span of type `typ` overlaps bytes s..e."""
    return any(t == typ and a < e and s < b for (t, a, b) in spans)


class Tally:
    """Candidates per (entity, class): gold of the entity, not gold, the gold ones the variant
    missed, and the splits they come from; `show` examples a class printed as they come."""

    def __init__(self, show=0, context=70):
        self.stats = collections.defaultdict(lambda: [0, 0, 0, collections.Counter()])
        self.shown = collections.Counter()
        self.show, self.context = show, context

    def count(self, cls, entity, split, doc, raw, spans, found, s, e):
        g = overlaps(spans, entity, s, e)
        st = self.stats[(entity, cls)]
        st[0 if g else 1] += 1
        st[3][split] += 1
        if g and not overlaps(found, entity, s, e):
            st[2] += 1
        if self.show and self.shown[cls] < self.show:
            self.shown[cls] += 1
            print(f"  [{cls}] {split}#{doc} {'gold' if g else 'not'}: {raw[max(0, s - self.context):e + 30]!r}")

    def report(self, entity_width, class_width):
        print(f"{'entity':{entity_width}} {'class':{class_width}} {'gold':>5} {'not':>5} {'missed':>6}  splits")
        for (ent, cls), (g, n, miss, sp) in sorted(self.stats.items()):
            print(f"{ent:{entity_width}} {cls:{class_width}} {g:5} {n:5} {miss:6}  {dict(sp)}")
