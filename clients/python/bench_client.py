"""End-to-end throughput of the Python client: numpy arrays in, advantages out, over HTTP.

    python3 bench_client.py --url http://127.0.0.1:8080 [--rows 64 --length 512 --requests 200]

Times ``Client.advantages_from_padded`` (GRPO, verl preset) on one verl-style padded batch, back
to back and from --concurrency threads, and the same GRPO computed locally: with torch when it is
importable (the way verl computes it: per-group mean/std over the row sums, broadcast on the
mask), else with numpy. Prints tokens/s (rows x length positions per call) for each and checks
that the service's advantages equal the local ones within 1e-5.
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apportion_client import Client  # noqa: E402

import numpy as np  # noqa: E402


def batch(rows, length, group, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.zeros((rows, length), dtype=np.int64)
    rewards = np.zeros((rows, length), dtype=np.float32)
    for i in range(rows):
        n = int(rng.integers(length // 4, length + 1))
        mask[i, :n] = 1
        rewards[i, n - 1] = float(rng.integers(0, 2))
    index = np.array(["uid-%d" % (i // group) for i in range(rows)], dtype=object)
    return rewards, mask, index


def grpo_numpy(rewards, mask, group_ids, eps=1e-6):
    scores = rewards.sum(axis=1, dtype=np.float64)
    n = np.bincount(group_ids).astype(np.float64)
    mean = np.bincount(group_ids, scores) / n
    dev = scores - mean[group_ids]
    var = np.bincount(group_ids, dev * dev) / np.maximum(n - 1, 1)
    std = np.where(n > 1, np.sqrt(var), 1.0)
    mean = np.where(n > 1, mean, 0.0)
    adv = (scores - mean[group_ids]) / (std[group_ids] + eps)
    return (adv[:, None] * mask).astype(np.float32)


def grpo_torch(torch, rewards, mask, group_ids, eps=1e-6):
    scores = rewards.sum(dim=-1)
    groups = int(group_ids.max()) + 1
    n = torch.bincount(group_ids, minlength=groups).to(scores.dtype)
    mean = torch.zeros(groups, dtype=scores.dtype).index_add_(0, group_ids, scores) / n
    dev = scores - mean[group_ids]
    var = torch.zeros(groups, dtype=scores.dtype).index_add_(0, group_ids, dev * dev) / torch.clamp(n - 1, min=1)
    std = torch.where(n > 1, var.sqrt(), torch.ones_like(var))
    mean = torch.where(n > 1, mean, torch.zeros_like(mean))
    return ((scores - mean[group_ids]) / (std[group_ids] + eps)).unsqueeze(-1) * mask


def rate(fn, calls, tokens):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return tokens * calls / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=os.environ.get("APPORTION_URL", "http://127.0.0.1:8080"))
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--length", type=int, default=512)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    a = ap.parse_args()

    client = Client(a.url)
    rewards, mask, index = batch(a.rows, a.length, a.group)
    tokens = a.rows * a.length
    _, group_ids = np.unique(index, return_inverse=True)
    local = grpo_numpy(rewards, mask, group_ids)
    served = client.advantages_from_padded(rewards, mask, index, "grpo", preset="verl")
    np.testing.assert_allclose(served, local, rtol=1e-5, atol=1e-5)

    for _ in range(20):  # warm-up
        client.advantages_from_padded(rewards, mask, index, "grpo", preset="verl")
    seq = rate(lambda: client.advantages_from_padded(rewards, mask, index, "grpo", preset="verl"), a.requests, tokens)

    per_thread = max(1, a.requests // a.concurrency)

    def worker():
        c = Client(a.url)
        for _ in range(per_thread):
            c.advantages_from_padded(rewards, mask, index, "grpo", preset="verl")

    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conc = tokens * per_thread * a.concurrency / (time.perf_counter() - t0)

    print("python client, GRPO (verl preset), %d x %d batch (%d tokens), %s" % (a.rows, a.length, tokens, a.url))
    print("  service, back to back:        %.3g tokens/s (%.2f ms per batch)" % (seq, tokens / seq * 1e3))
    print("  service, %d client threads:    %.3g tokens/s" % (a.concurrency, conc))
    try:
        import torch
        tr, tm = torch.from_numpy(rewards), torch.from_numpy(mask.astype(np.float32))
        tg = torch.from_numpy(group_ids.astype(np.int64))
        torch_out = grpo_torch(torch, tr, tm, tg).numpy()
        np.testing.assert_allclose(torch_out, local, rtol=1e-5, atol=1e-5)
        r = rate(lambda: grpo_torch(torch, tr, tm, tg), a.requests, tokens)
        print("  torch %s in process (CPU):   %.3g tokens/s" % (torch.__version__, r))
    except ImportError:
        r = rate(lambda: grpo_numpy(rewards, mask, group_ids), a.requests, tokens)
        print("  numpy %s in process:         %.3g tokens/s (torch is not importable here)" % (np.__version__, r))


if __name__ == "__main__":
    main()
