"""What the population scripts (`benches/*_population.py`, issue #20's redaction rounds) share:
their arguments, a split's documents with their gold spans and a variant's findings, the
tally of a candidate class against the gold labels, and the three report forms the rounds
use (`secret_groups_main`, `pattern_groups_main`, `entity_groups_main`): a script names its
groups and how it finds their places; the counting and the report are written once here.

A split lives in /tmp/pii/<split>/ as `corpus.jsonl` (the documents), `labels.jsonl` (gold
spans, byte offsets, and each JSON string's offset) and `<VARIANT>.jsonl` (the engine's
findings, `pii_eval`'s output); `pii_score.py` scores the same files.
"""
import collections
import sys

import pii_splits
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


def parse_args(argv):
    """`VARIANT [SPLIT...] [--show GROUP] [--threshold N]` (the population scripts' common
    arguments): the variant, the splits (the training list by default), the group to show,
    the threshold (3 by default)."""
    args = list(argv)
    show, threshold = None, 3
    if "--show" in args:
        i = args.index("--show")
        show = args[i + 1]
        del args[i:i + 2]
    if "--threshold" in args:
        i = args.index("--threshold")
        threshold = int(args[i + 1])
        del args[i:i + 2]
    return args[0], args[1:] or pii_splits.training(), show, threshold


def kind_of(spans, s, e):
    """The gold kind over bytes s..e: PASSWORD before GENERIC_SECRET, then any other entity
    (`other`), else `none`."""
    kinds = {t for (t, a, b) in spans if a < e and s < b}
    for k in ("PASSWORD", "GENERIC_SECRET"):
        if k in kinds:
            return k
    return "other" if kinds else "none"


def secret_groups_main(groups, generate, argv=None):
    """A GENERIC_SECRET task's report. `generate(raw, kind)` yields (group, start, end) for
    every place of each construction. Per split and group: the places by gold kind
    (GENERIC_SECRET / PASSWORD / other / none), the gold ones the variant missed (as that
    type), the variant's GENERIC_SECRET findings over them; then the splits holding gold."""
    variant, splits, show, _ = parse_args(sys.argv[1:] if argv is None else argv)
    rows = []
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            for g, vs, ve in generate(raw, doc["kind"]):
                k = kind_of(gold, vs, ve)
                typed = [f for f in found if f[0] == k]
                miss = k in ("GENERIC_SECRET", "PASSWORD") and kind_of(typed, vs, ve) != k
                gs = any(t == "GENERIC_SECRET" and a < ve and vs < b for (t, a, b) in found)
                others = sorted({t for (t, a, b) in gold if a < ve and vs < b})
                rows.append(dict(split=split, group=g, gold=k, miss=miss, gs=gs))
                if show == g:
                    print(f"  {split}#{doc['id']} {k}{others if k == 'other' else ''}"
                          f"{' MISS' if miss else ''}{' GS' if gs else ''}: "
                          f"{raw[max(0, vs - 60):ve + 15]!r}"[:300])
    print(f"per group: GENERIC_SECRET/PASSWORD/other/none (gold missed by {variant}: "
          f"GENERIC_SECRET, PASSWORD) [{variant}'s GENERIC_SECRET findings over them]")
    for split in splits + ["total"]:
        sr = [r for r in rows if split in ("total", r["split"])]
        cells = []
        for g in groups:
            gr = [r for r in sr if r["group"] == g]
            if not gr:
                continue
            c = collections.Counter(r["gold"] for r in gr)
            m = collections.Counter(r["gold"] for r in gr if r["miss"])
            cells.append(f"{g} {c['GENERIC_SECRET']}/{c['PASSWORD']}/{c['other']}/{c['none']}"
                         f" ({m['GENERIC_SECRET']},{m['PASSWORD']}) [{sum(r['gs'] for r in gr)}]")
        if cells:
            print(split.ljust(8), "  ".join(cells))
    print("\nsplits holding gold GENERIC_SECRET / PASSWORD, per group:")
    for g in groups:
        for k in ("GENERIC_SECRET", "PASSWORD"):
            c = collections.Counter(r["split"] for r in rows if r["group"] == g and r["gold"] == k)
            if c:
                print(f"  {g:10} {k}: " + ", ".join(f"{s} {n}" for s, n in c.items()))


def regex_groups_main(regexes, argv=None):
    """`secret_groups_main` over named regexes: each group's places are its regex's matches in
    the raw document, the value its first group (the gs population scripts' form)."""

    def generate(raw, kind="text"):
        for g, rx in regexes.items():
            for m in rx.finditer(raw):
                yield g, m.start(1), m.end(1)

    secret_groups_main(list(regexes), generate, argv)


def regex_places(rx, grp, raw):
    """(match, start, end) of group `grp` of every match of `rx` in `raw`."""
    for m in rx.finditer(raw):
        yield m, m.start(grp), m.end(grp)


def pattern_groups_main(patterns, places=regex_places, argv=None, fp=False, width=14):
    """A PASSWORD task's report. `patterns` lists (group, regex, which part is the value);
    `places(regex, part, raw)` yields (match, start, end) of each value (by default the
    regex's group `part`). Per group, in total and per split: the places by gold kind
    (PASSWORD / GENERIC_SECRET / other / none), then the gold PASSWORD places the variant did
    not find as PASSWORD with the exact span, and of those the ones it typed GENERIC_SECRET;
    with `fp`, the places not gold PASSWORD the variant found as PASSWORD."""
    variant, splits, show, _ = parse_args(sys.argv[1:] if argv is None else argv)
    table = collections.defaultdict(collections.Counter)
    for split in splits:
        for doc, raw, _, gold, found in documents(split, variant, placeholders=False):
            for g, rx, grp in patterns:
                for m, vs, ve in places(rx, grp, raw):
                    if ve <= vs:
                        continue
                    k = kind_of(gold, vs, ve)
                    c = table[(split, g)]
                    c[k] += 1
                    exact = ("PASSWORD", vs, ve) in gold
                    if k == "PASSWORD" and exact and ("PASSWORD", vs, ve) not in found:
                        c["missed"] += 1
                        if kind_of([f for f in found if f[0] != "PASSWORD"], vs, ve) == "GENERIC_SECRET":
                            c["as-gs"] += 1
                    if fp and k != "PASSWORD" and any(t == "PASSWORD" and a < ve and vs < b for (t, a, b) in found):
                        c["fp"] += 1
                    if show == g:
                        print(f"  {split}#{doc['id']} {k}: {raw[max(0, vs - 40):ve + 10]!r}")
    print(f"per split and group: PASSWORD/GENERIC_SECRET/other/none (gold PASSWORD missed by "
          f"{variant}, of them typed GENERIC_SECRET" +
          (f"; not-gold places {variant} found as PASSWORD)" if fp else ")"))
    for g, _, _ in patterns:
        rows = [(s, table[(s, g)]) for s in splits if table[(s, g)]]
        if not rows:
            print(f"  {g:{width}} none")
            continue
        tot = collections.Counter()
        for _, c in rows:
            tot.update(c)
        f = lambda c: (f"{c['PASSWORD']}/{c['GENERIC_SECRET']}/{c['other']}/{c['none']} "  # noqa: E731
                       f"({c['missed']},{c['as-gs']}" + (f";{c['fp']})" if fp else ")"))
        print(f"  {g:{width}} total {f(tot)}; " + ", ".join(f"{s} {f(c)}" for s, c in rows))


def entity_groups_main(groups, candidates, argv=None, zero_rows=False):
    """A task's report over several entities. `candidates(raw, kind)` yields (group, entity,
    start, end); the entity `ANY` counts a place as gold whatever its label (the labels are
    listed). Per group: gold, not gold, gold missed by the variant (as that entity), and the
    splits of each; with `zero_rows`, a group without places too."""
    variant, splits, show, _ = parse_args(sys.argv[1:] if argv is None else argv)
    tot = collections.defaultdict(lambda: [0, 0, 0, collections.Counter(), collections.Counter(), collections.Counter()])
    for g in groups if zero_rows else ():
        tot[g]
    for split in splits:
        for doc, raw, lab, gold, found in documents(split, variant):
            for g, ent, s, e in candidates(raw, doc.get("kind")):
                t = tot[g]
                if ent == "ANY":
                    labs = {x[0] for x in gold if x[1] < e and s < x[2]}
                    isg = bool(labs)
                    ent2 = next(iter(labs)) if labs else None
                    t[5][",".join(sorted(labs)) or "-"] += 1
                else:
                    isg = overlaps(gold, ent, s, e)
                    ent2 = ent
                other = [x[0] for x in gold if x[1] < e and s < x[2] and x[0] != ent]
                if isg:
                    t[0] += 1
                    t[3][split] += 1
                else:
                    t[1] += 1
                    t[4][split] += 1
                miss = isg and not overlaps(found, ent2, s, e)
                fp = not isg and overlaps(found, ent, s, e)
                t[2] += miss
                if show == g:
                    tag = "GOLD" if isg else ("not" + (f"({','.join(other)})" if other else ""))
                    tag += " missed" if miss else ""
                    tag += " found" if fp else ""
                    print(f"  {split}#{doc['id']} {tag}: {raw[max(0, s - 60):e + 25]!r}")
    for g in sorted(tot, key=lambda g: (groups.index(g) if g in groups else 99, g)):
        gd, nt, ms, gs, ns, labs = tot[g]
        extra = f"  labels: {dict(labs)}" if labs else ""
        print(f"{g:18} gold {gd:5} not {nt:5} missed {ms:5}  gold: {dict(gs)}  not: {dict(ns)}{extra}")
