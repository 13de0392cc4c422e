"""scikit-learn's full estimator check suite, with zero expected failures.

The instances are small so that the ~90 fits of the suite stay around a minute,
but every code path runs: pretraining, k-means initialisation, several target
updates and clustering steps (the check suite tests the API, not quality; quality
is tested on real data elsewhere).
"""

import numpy as np
from _checks import assert_fit_leaves_global_rng_untouched
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
    assert_fit_leaves_global_rng_untouched(lambda: DEC(**SMALL_DEC), X)
