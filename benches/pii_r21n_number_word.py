#!/usr/bin/env python3
"""A rejected rule's population (twenty-first round, task num; issue #20): a number after
`<word> number` (`Advice number 6349422908`) on every training split, by the word before
`number` and whether the number is a gold PHONE. Usage: benches/pii_r21n_number_word.py
(reads /tmp/pii/<split>/{corpus,labels}.jsonl; training splits only)."""
import json,re,sys,collections
sys.path.insert(0, __import__("os").path.dirname(__file__))
from pii_r21n_population import TRAINING
R=re.compile(rb"(?i)\b([a-z]+) number[:#]?[ \t]*(\+?[0-9][0-9 ./()\-]{6,18}[0-9])")
c=collections.Counter(); ex={}
for s in TRAINING:
    docs=[json.loads(l) for l in open(f"/tmp/pii/{s}/corpus.jsonl")]
    labs={l["id"]:l for l in map(json.loads,open(f"/tmp/pii/{s}/labels.jsonl"))}
    for d in docs:
        raw=d["text"].encode(); gold=[(g["type"],g["start"],g["end"]) for g in labs[d["id"]]["spans"]]
        for m in R.finditer(raw):
            a,b=m.span(2); g=any(t=="PHONE" and x<b and a<y for t,x,y in gold)
            w=m.group(1).lower().decode()
            c[(w,g)]+=1; ex.setdefault((w,g),(s,m.group(0)))
tot=collections.Counter()
for (w,g),n in c.items(): tot[g]+=n
print(dict(tot))
for (w,g),n in sorted(c.items(), key=lambda x:-x[1])[:30]: print(w,g,n,ex[(w,g)])
