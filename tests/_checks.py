"""Assertions shared by the per-estimator test modules."""

import numpy as np
import torch


def assert_fit_leaves_global_rng_untouched(make_estimator, X):
    """``fit`` restores the global torch and NumPy RNG states and does not depend on them."""
    torch.manual_seed(123)
    before = torch.get_rng_state()
    np_before = np.random.get_state()[1].copy()
    labels = make_estimator().fit(X).labels_
    assert torch.equal(torch.get_rng_state(), before)
    assert np.array_equal(np.random.get_state()[1], np_before)
    torch.rand(10)  # perturb the global RNGs: the result must not change
    np.random.rand(10)
    assert np.array_equal(make_estimator().fit(X).labels_, labels)


def output_dtypes(fit, module_type):
    """Dtypes of the outputs of every ``module_type`` module while ``fit()`` runs."""
    seen = set()

    def hook(module, args, out):
        if isinstance(module, module_type):
            seen.add(out.dtype)

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        fit()
    finally:
        handle.remove()
    return seen
