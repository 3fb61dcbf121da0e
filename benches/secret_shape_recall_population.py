#!/usr/bin/env python3
"""GENERIC_SECRET recall by shape (issue #20, nineteenth round, task G, item 3): on the TRAINING
splits, every `NAME=VALUE` / `NAME: VALUE` whose NAME holds no secret's word and whose VALUE is
a high-entropy token (24+ bytes of base64/url-safe characters, lower case, upper case and digits,
Shannon entropy >= 4.0), counted by the gold type it overlaps ("none": no gold). A rule "an
unknown key's value of a secret's shape is a GENERIC_SECRET" would need >= 0.98 of these to be
gold secrets.

usage: secret_shape_recall_population.py
"""
import json
import math
import random
import re
from collections import Counter

TR=["dev","heldout","faker"]+[f"blind{i}" for i in range(2,16)]
KV=re.compile(rb"(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{1,40})[\"']?\s*(?:=|:)\s*[\"']?([A-Za-z0-9+/_~.=-]{20,200})")
SECRETW=re.compile(rb"(?i)pass|pwd|secret|token|key|cred|auth|cookie|session|salt|cvc|cvv|sig")
def ent(s):
    c=Counter(s); n=len(s); return -sum(v/n*math.log2(v/n) for v in c.values())
tab=Counter(); ex=[]
for sp in TR:
    C=[json.loads(l) for l in open(f"/tmp/pii/{sp}/corpus.jsonl")]
    L=[json.loads(l) for l in open(f"/tmp/pii/{sp}/labels.jsonl")]
    F={o["id"]:o for o in map(json.loads,open(f"/tmp/pii/{sp}/final.jsonl"))}
    for c,l in zip(C,L):
        raw=c["text"].encode()
        gold=[(s["type"],s["start"],s["end"]) for s in l["spans"]]
        for m in KV.finditer(raw):
            name,v=m.group(1),m.group(2).rstrip(b".=") 
            if SECRETW.search(name): continue
            if not (re.search(rb"[a-z]",v) and re.search(rb"[A-Z]",v) and re.search(rb"[0-9]",v)): continue
            if ent(v)<4.0 or len(v)<24: continue
            s,e=m.start(2),m.start(2)+len(v)
            g=[t for t,gs,ge in gold if gs<e and s<ge]
            k=g[0] if g else "none"
            tab[k]+=1
            if len(ex)<400: ex.append((sp,k,name.decode(errors='replace'),v[:50].decode(errors='replace')))
print(tab)
random.seed(1)
for x in random.sample(ex, min(40, len(ex))):
    print(*x, sep="\t")
