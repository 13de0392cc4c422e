"""scikit-learn's full check suite for MultiTaskRNNClusterer, with zero expected failures.

The check suite sends 2-D arrays: univariate series of 1 to 10 time steps. The
instances are tiny (the ~90 fits must stay near a minute) but every code path runs:
pretraining of both decoders, k-means initialisation, target updates and clustering
steps with the joint loss.
"""

import numpy as np
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import MultiTaskRNNClusterer

SMALL_RNN = dict(n_clusters=3, hidden_size=4, num_layers=1, embedding_dim=2,
                 pretrain_epochs=3, max_iter=12, update_interval=3, n_init=2,
                 batch_size=64, random_state=0)

ESTIMATORS = [
    MultiTaskRNNClusterer(**SMALL_RNN),
    # two stacked layers (dropout between them), min-max scaling and teacher forcing
    MultiTaskRNNClusterer(**{**SMALL_RNN, "num_layers": 2, "scaling": "minmax",
                             "teacher_forcing": 0.5, "pretrain_epochs": 2}),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {},
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_leaves_global_rng_untouched():
    X = np.random.RandomState(0).rand(30, 8, 2)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    np_before = np.random.get_state()[1].copy()
    params = {**SMALL_RNN, "teacher_forcing": 0.5}
    labels = MultiTaskRNNClusterer(**params).fit(X).labels_
    assert torch.equal(torch.get_rng_state(), before)
    assert np.array_equal(np.random.get_state()[1], np_before)
    torch.rand(10)  # perturb the global RNG: the result must not change
    np.random.rand(10)
    assert np.array_equal(MultiTaskRNNClusterer(**params).fit(X).labels_, labels)
