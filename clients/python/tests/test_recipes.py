"""The trainer recipes against a running server, with each framework's registration API stubbed
(verl, TRL and OpenRLHF are not installed here; the stubs mirror the calls the recipes make)."""

import importlib
import sys
import types
import unittest
from dataclasses import dataclass, field

from support import URL, grpo_reference, np, padded_batch, require_server


def setUpModule():
    require_server()
    if np is None:
        raise unittest.SkipTest("numpy is not installed (the recipes hand arrays to the trainers)")


def stub_module(name, **attrs):
    """Installs an empty module (and its parents) under ``name`` with ``attrs``."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sub = ".".join(parts[:i])
        if sub not in sys.modules:
            sys.modules[sub] = types.ModuleType(sub)
            if i > 1:
                setattr(sys.modules[".".join(parts[:i - 1])], parts[i - 1], sys.modules[sub])
    for k, v in attrs.items():
        setattr(sys.modules[name], k, v)
    return sys.modules[name]


def fresh_import(name):
    sys.modules.pop(name, None)
    return importlib.import_module(name)


class VerlRecipeTest(unittest.TestCase):
    def setUp(self):
        self.registry = {}

        def register_adv_est(name):  # verl's decorator: registers fn under name
            def deco(fn):
                self.registry[name] = fn
                return fn
            return deco

        stub_module("verl.trainer.ppo.core_algos", register_adv_est=register_adv_est)
        self.recipe = fresh_import("verl_apportion")

    def tearDown(self):
        for m in [m for m in sys.modules if m == "verl" or m.startswith("verl.")]:
            del sys.modules[m]

    def test_registers_and_computes_verl_grpo(self):
        self.recipe.register("apportion", url=URL, estimator="grpo", preset="verl")
        fn = self.registry["apportion"]
        rewards, mask, index = padded_batch(8, 4, 32, seed=11)
        adv, ret = fn(token_level_rewards=rewards, response_mask=mask, index=index, config=None)
        np.testing.assert_allclose(adv, grpo_reference(rewards, mask, index), rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(adv, ret)

    def test_returns_come_back_for_token_level_estimators(self):
        fn = self.recipe.register("rpp", url=URL, estimator="reinforce_plus_plus", gamma=0.99)
        rewards, mask, index = padded_batch(2, 4, 8, seed=12)
        adv, ret = fn(rewards, mask, index=index)
        self.assertEqual(rewards.shape, ret.shape)
        self.assertFalse(np.array_equal(adv, ret))

    def test_index_is_required(self):
        fn = self.recipe.make_estimator(URL)
        rewards, mask, _ = padded_batch(1, 2, 4, seed=13)
        with self.assertRaises(ValueError):
            fn(rewards, mask)


class TrlRecipeTest(unittest.TestCase):
    """A stand-in GRPOTrainer with TRL's structure: _calculate_rewards gives one column per reward
    function for the gathered batch; _generate_and_score_completions weights, sums, normalises per
    group of num_generations and keeps this process's slice as 'advantages'."""

    def setUp(self):
        class Accelerator:
            process_index = 1

        class GRPOTrainer:
            def __init__(self, rewards_per_func, weights, num_generations, local):
                self.rewards_per_func = rewards_per_func
                self.reward_weights = weights
                self.num_generations = num_generations
                self.accelerator = Accelerator()
                self.local = local

            def _calculate_rewards(self, inputs, prompts, completions, completion_ids):
                return self.rewards_per_func

            def _generate_and_score_completions(self, inputs):
                rpf = self._calculate_rewards(inputs, None, None, None)
                rewards = np.nansum(rpf * self.reward_weights[None, :], axis=1)
                g = rewards.reshape(-1, self.num_generations)
                adv = ((g - g.mean(1, keepdims=True)) / (g.std(1, ddof=1, keepdims=True) + 1e-4)).reshape(-1)
                start = self.accelerator.process_index * self.local
                return {"advantages": adv[start:start + self.local].astype(np.float32), "completion_mask": None}

        stub_module("trl", GRPOTrainer=GRPOTrainer)
        self.recipe = fresh_import("trl_apportion")

    def tearDown(self):
        sys.modules.pop("trl", None)

    def test_advantages_are_the_services_for_this_process_slice(self):
        rng = np.random.default_rng(5)
        rpf = rng.random((16, 2)).astype(np.float32)
        rpf[3, 1] = np.nan  # a reward function without a value for one completion
        weights = np.array([1.0, 0.5], dtype=np.float32)
        trainer = self.recipe.ApportionGRPOTrainer(rpf, weights, 4, 8, apportion_url=URL, apportion_estimator="grpo",
                                                   apportion_preset="trl")
        trl_adv = super(self.recipe.ApportionGRPOTrainer, trainer)._generate_and_score_completions(None)["advantages"]
        out = trainer._generate_and_score_completions(None)
        self.assertEqual((8,), out["advantages"].shape)
        # GRPO with TRL's preset reproduces TRL's own advantages for process 1's half
        np.testing.assert_allclose(out["advantages"], trl_adv, rtol=1e-4, atol=1e-4)

    def test_another_estimator_changes_the_advantages(self):
        rng = np.random.default_rng(6)
        rpf = rng.random((8, 1)).astype(np.float32)
        trainer = self.recipe.ApportionGRPOTrainer(rpf, np.ones(1, dtype=np.float32), 4, 4, apportion_url=URL,
                                                   apportion_estimator="rloo", apportion_preset=None)
        out = trainer._generate_and_score_completions(None)["advantages"]
        r = rpf[:, 0].reshape(2, 4)
        loo = (r - (r.sum(1, keepdims=True) - r) / 3).reshape(-1)  # RLOO: reward minus the mean of the others
        np.testing.assert_allclose(out, loo[4:8], rtol=1e-5, atol=1e-5)


class OpenRlhfRecipeTest(unittest.TestCase):
    def setUp(self):
        @dataclass
        class Experience:
            action_mask: object
            info: dict = field(default_factory=dict)
            advantages: object = None
            returns: object = None

        class RemoteExperienceMaker:
            def compute_advantages_and_returns(self, experiences, **kwargs):
                for e in experiences:
                    e.advantages = np.full(e.action_mask.shape, -99.0, dtype=np.float32)
                return experiences

        stub_module("openrlhf.trainer.ppo_utils.experience_maker", Experience=Experience,
                    RemoteExperienceMaker=RemoteExperienceMaker)
        self.Experience = Experience
        self.Maker = RemoteExperienceMaker
        self.recipe = fresh_import("openrlhf_apportion")

    def tearDown(self):
        for m in [m for m in sys.modules if m == "openrlhf" or m.startswith("openrlhf.")]:
            del sys.modules[m]

    def test_hook_replaces_advantages_across_micro_batches(self):
        rewards, mask, index = padded_batch(4, 4, 12, seed=21)
        scores = rewards.sum(axis=1)
        # two micro-batches of different widths (OpenRLHF pads each to its own longest response)
        w1 = int(mask[:8].sum(axis=1).max())
        exps = [self.Experience(mask[:8, :w1].copy(), {"reward": scores[:8]}),
                self.Experience(mask[8:].copy(), {"reward": scores[8:]})]
        self.recipe.install(self.Maker, url=URL, estimator="grpo", n_samples_per_prompt=4)
        self.Maker().compute_advantages_and_returns(exps)
        want = grpo_reference(rewards, mask, np.arange(16) // 4)
        np.testing.assert_allclose(exps[0].advantages, want[:8, :w1], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(exps[1].advantages, want[8:], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(exps[1].advantages, exps[1].returns)
        with self.assertRaises(RuntimeError):
            self.recipe.install(self.Maker, url=URL)


if __name__ == "__main__":
    unittest.main()
