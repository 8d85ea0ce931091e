"""Test support: the server under test, the modules under test on sys.path, numpy references."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT_DIR))
for p in (CLIENT_DIR, os.path.join(CLIENT_DIR, "recipes")):
    if p not in sys.path:
        sys.path.insert(0, p)

import apportion_client  # noqa: E402

try:
    import numpy as np
except ImportError:  # numpy-dependent tests skip
    np = None

URL = os.environ.get("APPORTION_URL")
EXAMPLE = os.path.join(REPO, "examples", "two-groups.jsonl")


def require_server():
    """Skips the calling module's tests unless APPORTION_URL names a running server."""
    if not URL:
        raise unittest.SkipTest("APPORTION_URL is not set (the JUnit test PythonClientTest starts a server and sets it)")


def require_numpy(test):
    return unittest.skipIf(np is None, "numpy is not installed")(test)


def grpo_reference(token_level_rewards, response_mask, index, eps=1e-6):
    """verl's GRPO outcome advantage, in numpy: score = row sum; (score - group mean) /
    (unbiased group std + eps); a group of one keeps its score (mean 0, std 1); broadcast over the mask."""
    scores = np.asarray(token_level_rewards, dtype=np.float64)
    if scores.ndim == 2:
        scores = scores.sum(axis=1)
    index = np.asarray(index)
    out = np.zeros_like(scores)
    for g in np.unique(index):
        rows = np.nonzero(index == g)[0]
        s = scores[rows]
        if len(rows) == 1:
            mean, std = 0.0, 1.0
        else:
            mean, std = s.mean(), s.std(ddof=1)
        out[rows] = (s - mean) / (std + eps)
    return (out[:, None] * np.asarray(response_mask, dtype=np.float64)).astype(np.float32)


def padded_batch(groups, size, length, seed):
    """A random verl-style batch: right-padded responses, 0/1 outcome on the last response token."""
    rng = np.random.default_rng(seed)
    rows = groups * size
    mask = np.zeros((rows, length), dtype=np.int64)
    rewards = np.zeros((rows, length), dtype=np.float32)
    for i in range(rows):
        n = int(rng.integers(1, length + 1))
        mask[i, :n] = 1
        rewards[i, n - 1] = float(rng.integers(0, 2))
    index = np.array(["uid-%d" % (i // size) for i in range(rows)], dtype=object)
    return rewards, mask, index
