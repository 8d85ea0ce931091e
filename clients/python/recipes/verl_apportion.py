"""verl recipe: a custom advantage estimator whose advantages come from the apportion service.

verl looks advantage estimators up by name in a registry filled by the decorator
``verl.trainer.ppo.core_algos.register_adv_est``; each is called with the padded batch
(``token_level_rewards`` and ``response_mask``, B x L; ``index``, the group uid of every row)
and returns ``(advantages, returns)``, both B x L. This recipe registers one that sends the
batch to ``apportion serve`` over the binary body and hands the credit back as tensors on the
caller's device, so any apportion estimator (GRPO with verl's preset, RLOO, GiGPO, ...) can
drive a verl run.

Use (in the driver, before the trainer starts; the server runs beside it):

    import verl_apportion
    verl_apportion.register("apportion", url="http://127.0.0.1:8080", estimator="grpo", preset="verl")

and in the verl config: ``algorithm.adv_estimator=apportion``.
"""

from _common import client_for, like, to_numpy

__all__ = ["make_estimator", "register"]


def make_estimator(url=None, estimator="grpo", preset="verl", **params):
    """The advantage function verl calls: (token_level_rewards, response_mask, index, config, **kw)."""
    client = client_for(url)

    def compute_apportion_advantage(token_level_rewards, response_mask, index=None, config=None, **kwargs):
        if index is None:
            raise ValueError("the apportion estimator needs verl's group index (non_tensor_batch['uid'])")
        values = kwargs.get("values")
        adv, ret = client.advantages_from_padded(
            to_numpy(token_level_rewards).astype("float32"), to_numpy(response_mask), list(to_numpy(index)),
            estimator, preset, values=None if values is None else to_numpy(values).astype("float32"),
            return_returns=True, **params)
        adv_t = like(adv, token_level_rewards)
        # outcome estimators have no returns; verl's own outcome estimators return the advantages twice
        return adv_t, (adv_t if ret is None else like(ret, token_level_rewards))

    compute_apportion_advantage.apportion = {"estimator": estimator, "preset": preset, "params": dict(params)}
    return compute_apportion_advantage


def register(name="apportion", url=None, estimator="grpo", preset="verl", **params):
    """Registers the estimator with verl under ``name`` and returns the function."""
    from verl.trainer.ppo.core_algos import register_adv_est

    fn = make_estimator(url, estimator, preset, **params)
    register_adv_est(name)(fn)
    return fn
