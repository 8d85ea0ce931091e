"""TRL recipe: a GRPOTrainer whose advantages come from the apportion service.

TRL's ``GRPOTrainer`` scores each completion with its reward functions
(``_calculate_rewards`` gives one column per function, gathered over processes), weights and
sums them, normalises within each group of ``num_generations`` consecutive completions and keeps
this process's slice as ``advantages`` (one per completion) in the dict that
``_generate_and_score_completions`` returns. ``ApportionGRPOTrainer`` keeps all of that and
replaces only the advantages: the summed rewards of the whole gathered batch go to the service
(one row per completion, grouped by prompt) and this process's slice of the answer replaces
TRL's. Everything else (generation, loss, logging) is TRL's.

    from trl_apportion import ApportionGRPOTrainer
    trainer = ApportionGRPOTrainer(model=..., reward_funcs=..., args=GRPOConfig(...), train_dataset=...,
                                   apportion_url="http://127.0.0.1:8080",
                                   apportion_estimator="rloo", apportion_preset="trl")
    trainer.train()
"""

import numpy as np
from trl import GRPOTrainer

from _common import client_for, like, to_numpy

__all__ = ["ApportionGRPOTrainer"]


class ApportionGRPOTrainer(GRPOTrainer):
    """GRPOTrainer with advantages from ``apportion serve`` (see the module comment)."""

    def __init__(self, *args, apportion_url=None, apportion_estimator="grpo", apportion_preset="trl",
                 apportion_params=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.apportion = client_for(apportion_url)
        self.apportion_estimator = apportion_estimator
        self.apportion_preset = apportion_preset
        self.apportion_params = dict(apportion_params or {})
        self._apportion_rewards = None

    def _calculate_rewards(self, *args, **kwargs):
        rewards_per_func = super()._calculate_rewards(*args, **kwargs)
        self._apportion_rewards = rewards_per_func
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if self._apportion_rewards is None:
            raise RuntimeError("ApportionGRPOTrainer: TRL did not call _calculate_rewards; this TRL version is not supported")
        per_func = to_numpy(self._apportion_rewards).astype(np.float64)
        weights = to_numpy(self.reward_weights).astype(np.float64)
        rewards = np.nansum(per_func * weights[None, :], axis=1).astype(np.float32)
        self._apportion_rewards = None
        index = np.arange(len(rewards)) // int(self.num_generations)
        adv = self.apportion.sequence_advantages(rewards, index, self.apportion_estimator, self.apportion_preset,
                                                 **self.apportion_params)
        local = len(out["advantages"])
        start = int(getattr(self.accelerator, "process_index", 0)) * local
        out["advantages"] = like(np.asarray(adv[start:start + local]), out["advantages"])
        return out
