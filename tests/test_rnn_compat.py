"""scikit-learn's full check suite for MultiTaskRNNClusterer, with zero expected failures.

The check suite sends 2-D arrays: univariate series of 1 to 10 time steps. The
instances are tiny (the ~90 fits must stay near a minute) but every code path runs:
pretraining of both decoders, k-means initialisation, target updates and clustering
steps with the joint loss.
"""

import numpy as np
from _checks import assert_fit_leaves_global_rng_untouched
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import MultiTaskRNNClusterer

SMALL_RNN = dict(n_clusters=3, hidden_size=4, num_layers=1, embedding_dim=2,
                 pretrain_epochs=3, max_iter=12, update_interval=3, n_init=2,
                 batch_size=64, random_state=0)

ESTIMATORS = [
    MultiTaskRNNClusterer(**SMALL_RNN),
    # two stacked layers (dropout between them), min-max scaling, teacher forcing,
    # the normalised loss and z-normalised extra input channels
    MultiTaskRNNClusterer(**{**SMALL_RNN, "num_layers": 2, "scaling": "minmax",
                             "teacher_forcing": 0.5, "pretrain_epochs": 2,
                             "reconstruction_loss": "normalized", "znorm_input": True}),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {},
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_leaves_global_rng_untouched():
    X = np.random.RandomState(0).rand(30, 8, 2)
    params = {**SMALL_RNN, "teacher_forcing": 0.5}
    assert_fit_leaves_global_rng_untouched(lambda: MultiTaskRNNClusterer(**params), X)
