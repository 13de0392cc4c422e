"""scikit-learn's full estimator check suite, with zero expected failures.

The instances are small so that the ~90 fits of the suite stay around a minute,
but every code path runs: pretraining, k-means initialisation, several target
updates and clustering steps (the check suite tests the API, not quality; quality
is tested on real data elsewhere).
"""

import numpy as np
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import DEC

SMALL_DEC = dict(hidden_dims=(16,), embedding_dim=2, pretrain_epochs=10, max_iter=30,
                 update_interval=5, n_init=2, n_clusters=3, random_state=0)

ESTIMATORS = [
    DEC(**SMALL_DEC),
    DEC(**SMALL_DEC, gamma=0.1),
    DEC(**{**SMALL_DEC, "pretrain": "stacked_denoising", "pretrain_epochs": 4}),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {},
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_leaves_global_rng_untouched():
    X = np.random.RandomState(0).rand(40, 5)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    np_before = np.random.get_state()[1].copy()
    labels = DEC(**SMALL_DEC).fit(X).labels_
    assert torch.equal(torch.get_rng_state(), before)
    assert np.array_equal(np.random.get_state()[1], np_before)
    torch.rand(10)  # perturb the global RNG: the result must not change
    np.random.rand(10)
    assert np.array_equal(DEC(**SMALL_DEC).fit(X).labels_, labels)
