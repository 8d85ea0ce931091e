# Generates sequence-matcher-ratio.jsonl: reference values of CPython's difflib.SequenceMatcher
# (isjunk=None, autojunk=True) for GiGPO's similarity grouping port. Run: python3 gen_fixture.py OUT
import json, random, sys, platform
from difflib import SequenceMatcher as SM
random.seed(20250903)
alphas = ['ab', 'abc', 'abcdefgh', ' .abcdefghijklmnopqrstuvwxyz', 'xy\U0001F600\u00e9']
out = []
def add(a, b, kind):
    s = SM(None, a, b)
    out.append({"a": a, "b": b, "kind": kind, "ratio": s.ratio(), "quick_ratio": s.quick_ratio(),
                "real_quick_ratio": s.real_quick_ratio(),
                "ratio_without_autojunk": SM(None, a, b, autojunk=False).ratio()})
want = {"short": 10, "long-autojunk-changes": 10, "long-autojunk-same": 4, "non-bmp": 4}
have = {k: 0 for k in want}
while any(have[k] < want[k] for k in want):
    alpha = random.choice(alphas)
    long_ = random.random() < 0.5
    n = random.randint(200, 320) if long_ else random.randint(0, 20)
    a = ''.join(random.choice(alpha) for _ in range(n))
    b = list(a)
    for _ in range(random.randint(0, 12)):
        if b and random.random() < 0.5: del b[random.randrange(len(b))]
        else: b.insert(random.randint(0, len(b)), random.choice(alpha))
    b = ''.join(b)
    s = SM(None, a, b)
    if '\U0001F600' in a + b: kind = "non-bmp"
    elif len(b) >= 200: kind = "long-autojunk-changes" if s.ratio() != SM(None, a, b, autojunk=False).ratio() else "long-autojunk-same"
    else: kind = "short"
    if have[kind] < want[kind]:
        have[kind] += 1
        add(a, b, kind)
with open(sys.argv[1], 'w', encoding='utf-8') as f:
    for o in out: f.write(json.dumps(o, ensure_ascii=True) + "\n")
print(platform.python_version(), len(out))
