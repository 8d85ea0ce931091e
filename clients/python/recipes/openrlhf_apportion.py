"""OpenRLHF recipe: a hook that sets the experiences' advantages and returns from the apportion service.

OpenRLHF's experience maker turns a rollout batch into a list of ``Experience`` micro-batches,
each with an ``action_mask`` (b x A, 1 on generated tokens, padding at the end) and the
sequence reward in ``info["reward"]``; the ``n_samples_per_prompt`` samples of a prompt are
consecutive across the list. After it has computed advantages its own way, this hook
concatenates the experiences into one padded batch (group = position // n_samples_per_prompt),
asks the service for the credit and writes ``advantages`` and ``returns`` back (b x A each, in
the type and device of the mask).

    import openrlhf_apportion
    from openrlhf.trainer.ppo_utils.experience_maker import RemoteExperienceMaker
    openrlhf_apportion.install(RemoteExperienceMaker, url="http://127.0.0.1:8080",
                               estimator="reinforce_plus_plus_baseline",
                               n_samples_per_prompt=args.n_samples_per_prompt)

No preset is applied by default: OpenRLHF's ``openrlhf`` presets put a KL penalty into the
reward, which needs the reference log-probabilities; pass ``preset="openrlhf"`` together with
``token_signals`` of your own through ``apportion_experiences`` if you want that, or keep
OpenRLHF's KL handling and use the estimator without it.

``install`` wraps the maker's method that computes advantages (``compute_advantages_and_returns``
by default; pass ``method=`` for a version that names it otherwise); ``apportion_experiences``
is the same step as a plain function for trainers that call it themselves.
"""

import numpy as np

from _common import client_for, like, to_numpy

__all__ = ["apportion_experiences", "install"]


def apportion_experiences(experiences, url=None, estimator="grpo", n_samples_per_prompt=1, preset=None,
                          reward_key="reward", **params):
    """Sets ``advantages`` and ``returns`` of every experience from the service; returns the list."""
    client = client_for(url)
    masks = [to_numpy(e.action_mask).astype(np.uint8) for e in experiences]
    if not masks:
        return experiences
    length = max(m.shape[1] for m in masks)
    rows = sum(m.shape[0] for m in masks)
    mask = np.zeros((rows, length), dtype=np.uint8)
    r = 0
    for m in masks:
        mask[r:r + m.shape[0], :m.shape[1]] = m
        r += m.shape[0]
    scores = np.concatenate([to_numpy(e.info[reward_key]).reshape(-1).astype(np.float32) for e in experiences])
    if len(scores) != rows:
        raise ValueError("info[%r] has %d values for %d sequences" % (reward_key, len(scores), rows))
    index = np.arange(rows) // int(n_samples_per_prompt)
    adv, ret = client.advantages_from_padded(scores, mask, index, estimator, preset, return_returns=True, **params)
    r = 0
    for e, m in zip(experiences, masks):
        b, a = m.shape
        e.advantages = like(adv[r:r + b, :a], e.action_mask)
        e.returns = like((adv if ret is None else ret)[r:r + b, :a], e.action_mask)
        r += b
    return experiences


def install(maker_cls, url=None, estimator="grpo", n_samples_per_prompt=1, preset=None,
            method="compute_advantages_and_returns", **params):
    """Wraps ``maker_cls.<method>(self, experiences, ...)`` so that its experiences leave with the
    service's credit. The method may return the list, or a tuple whose first item is the list."""
    original = getattr(maker_cls, method)
    if getattr(original, "__apportion__", False):
        raise RuntimeError("%s.%s already goes through apportion" % (maker_cls.__name__, method))

    def wrapped(self, experiences, *args, **kwargs):
        result = original(self, experiences, *args, **kwargs)
        exps = result[0] if isinstance(result, tuple) else (result if result is not None else experiences)
        apportion_experiences(exps, url, estimator, n_samples_per_prompt, preset, **params)
        return result

    wrapped.__apportion__ = True
    wrapped.__wrapped__ = original
    setattr(maker_cls, method, wrapped)
    return wrapped
