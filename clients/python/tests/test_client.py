"""The client against a running server (APPORTION_URL): JSONL, the binary path, validate, errors."""

import json
import unittest

from support import EXAMPLE, URL, apportion_client, grpo_reference, np, padded_batch, require_numpy, require_server

from apportion_client import ApportionError, Client


def setUpModule():
    require_server()


def load_example():
    with open(EXAMPLE, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class JsonlTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(URL)

    def test_health_and_estimators(self):
        self.assertTrue(self.client.health())
        ids = [e["id"] for e in self.client.estimators()]
        self.assertIn("grpo", ids)
        self.assertIn("gae", ids)

    def test_assign_grpo_on_the_example(self):
        credit = self.client.assign(load_example(), "grpo")
        self.assertEqual(["a", "b", "c", "d", "e", "f"], [c["id"] for c in credit])
        # group p1 scores (1, 0, 1): a gets +1/sqrt(3) on its policy tokens, b -2/sqrt(3); context tokens 0
        a = credit[0]["advantages"]
        self.assertEqual(12, len(a))
        self.assertEqual([0.0, 0.0, 0.0], a[:3])
        self.assertAlmostEqual(0.57735, a[3], places=4)
        self.assertAlmostEqual(-1.1547, credit[1]["advantages"][3], places=3)
        self.assertEqual(0.0, a[7])

    def test_assign_jsonl_text_and_parameters(self):
        with open(EXAMPLE, encoding="utf-8") as f:
            text = f.read()
        plain = self.client.assign_jsonl(text, "gae")
        tuned = self.client.assign_jsonl(text, "gae", gamma=0.5, **{"lambda": 0.9})
        self.assertEqual(6, len(plain.splitlines()))
        self.assertNotEqual(plain, tuned)
        self.assertIn('"returns"', plain)

    def test_errors_carry_status_message_and_line(self):
        with self.assertRaises(ApportionError) as e:
            self.client.assign(load_example(), "grpoo")
        self.assertEqual(400, e.exception.status)
        self.assertIn("did you mean 'grpo'", e.exception.message)
        bad = load_example()
        bad[2]["spans"][0]["tokens"] = -1
        with self.assertRaises(ApportionError) as e:
            self.client.assign(bad, "grpo")
        self.assertEqual(400, e.exception.status)
        self.assertEqual(3, e.exception.line)
        self.assertTrue(e.exception.message.startswith("body:3: trajectory 'c'"), e.exception.message)
        no_value = [{"group": "g", "id": "a", "outcome": 1.0, "tokens": 2}, {"group": "g", "id": "b", "outcome": 0.0, "tokens": 2}]
        with self.assertRaises(ApportionError) as e:
            self.client.assign(no_value, "gae")
        self.assertEqual(422, e.exception.status)
        self.assertIn("token signal 'value'", e.exception.message)
        with self.assertRaises(ApportionError) as e:
            self.client.assign(no_value, "grpo", epsilon="abc")
        self.assertEqual(400, e.exception.status)

    def test_unreachable_server_is_status_0(self):
        with self.assertRaises(ApportionError) as e:
            Client("http://127.0.0.1:9", timeout=5).estimators()
        self.assertEqual(0, e.exception.status)

    def test_validate_rollouts(self):
        rollouts = [{"group": "same", "id": "a", "outcome": 1.0, "tokens": 2},
                    {"group": "same", "id": "b", "outcome": 1.0, "tokens": 2},
                    {"group": "solo", "id": "c", "outcome": 0.0, "tokens": 2}]
        report = self.client.validate(rollouts)
        self.assertTrue(report["ok"])
        self.assertEqual({"degenerate_group", "singleton_group"}, {f["code"] for f in report["findings"]})
        refused = self.client.validate(rollouts, estimator="gae")
        self.assertFalse(refused["ok"])


class PaddedTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(URL)

    @require_numpy
    def test_grpo_from_token_level_rewards_matches_verl_formula(self):
        rewards, mask, index = padded_batch(16, 8, 64, seed=1)
        adv = self.client.advantages_from_padded(rewards, mask, index, "grpo", preset="verl")
        self.assertEqual((128, 64), adv.shape)
        self.assertEqual(np.float32, adv.dtype)
        np.testing.assert_allclose(adv, grpo_reference(rewards, mask, index), rtol=1e-5, atol=1e-5)

    @require_numpy
    def test_scores_and_token_rewards_give_the_same_grpo(self):
        rewards, mask, index = padded_batch(4, 4, 16, seed=2)
        from_tokens = self.client.advantages_from_padded(rewards, mask, index, "grpo")
        from_scores = self.client.advantages_from_padded(rewards.sum(axis=1), mask, index, "grpo")
        np.testing.assert_array_equal(from_tokens, from_scores)

    @require_numpy
    def test_binary_path_equals_jsonl_path(self):
        rewards, mask, index = padded_batch(3, 4, 12, seed=3)
        adv, ret = self.client.advantages_from_padded(rewards, mask, index, "reinforce_plus_plus", return_returns=True)
        rollouts = []
        for i in range(len(index)):
            spans, t = [], 0
            while t < mask.shape[1]:
                s = t
                while t < mask.shape[1] and mask[i, t] == mask[i, s]:
                    t += 1
                spans.append({"role": "policy" if mask[i, s] else "context", "tokens": t - s})
            rollouts.append({"group": str(index[i]), "id": "row%d" % i, "spans": spans,
                             "token_signals": {"reward": [float(x) for x in rewards[i]]}})
        credit = self.client.assign(rollouts, "reinforce_plus_plus")
        np.testing.assert_array_equal(adv, np.array([c["advantages"] for c in credit], dtype=np.float32))
        np.testing.assert_array_equal(ret, np.array([c["returns"] for c in credit], dtype=np.float32))

    @require_numpy
    def test_critic_values_reach_gae(self):
        rewards, mask, index = padded_batch(2, 3, 10, seed=4)
        values = np.linspace(0, 1, rewards.size, dtype=np.float32).reshape(rewards.shape)
        with self.assertRaises(ApportionError) as e:
            self.client.advantages_from_padded(rewards, mask, index, "gae")
        self.assertEqual(422, e.exception.status)
        adv = self.client.advantages_from_padded(rewards, mask, index, "gae", values=values)
        self.assertEqual(rewards.shape, adv.shape)
        self.assertTrue(np.all(adv[mask == 0] == 0))

    @require_numpy
    def test_group_index_may_be_strings_or_any_integers(self):
        rewards, mask, _ = padded_batch(2, 3, 8, seed=6)
        as_text = self.client.advantages_from_padded(rewards, mask, ["a"] * 3 + ["b"] * 3, "grpo")
        as_big_ints = self.client.advantages_from_padded(rewards, mask, np.array([10 ** 12] * 3 + [-7] * 3), "grpo")
        as_small_ints = self.client.advantages_from_padded(rewards, mask, np.array([0] * 3 + [1] * 3, dtype=np.int32), "grpo")
        np.testing.assert_array_equal(as_text, as_big_ints)
        np.testing.assert_array_equal(as_text, as_small_ints)

    @require_numpy
    def test_sequence_advantages(self):
        adv = self.client.sequence_advantages(np.array([1.0, 0.0, 0.5, 0.5], dtype=np.float32), [7, 7, 9, 9])
        np.testing.assert_allclose(adv, [0.70710, -0.70710, 0.0, 0.0], atol=1e-4)

    @require_numpy
    def test_validate_padded_reports_nan_and_mask_values(self):
        rewards, mask, index = padded_batch(2, 2, 6, seed=5)
        rewards[1, 0] = np.nan
        mask[2, 0] = 3
        report = self.client.validate(response_mask=mask, index=index, rewards=rewards)
        self.assertFalse(report["ok"])
        self.assertEqual({"non_finite", "mask_value"}, {f["code"] for f in report["findings"]})

    def test_without_numpy_lists_in_lists_out(self):
        saved = apportion_client._np
        apportion_client._np = None
        try:
            mask = [[0, 1, 1, 0], [0, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]]
            adv = self.client.advantages_from_padded([1.0, 0.0, 0.0, 1.0], mask, ["x", "x", "y", "y"], "grpo")
            self.assertIsInstance(adv, list)
            self.assertEqual([0.0, 0.0, 0.0, 0.0], adv[0][:1] + adv[0][3:] + adv[2][2:])
            self.assertAlmostEqual(0.70710, adv[0][1], places=4)
            self.assertAlmostEqual(-0.70710, adv[2][0], places=4)
            self.assertAlmostEqual(0.70710, adv[3][0], places=4)
        finally:
            apportion_client._np = saved


if __name__ == "__main__":
    unittest.main()
