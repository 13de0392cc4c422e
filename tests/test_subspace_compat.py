"""scikit-learn's full check suite for the subspace clustering estimators, zero expected failures.

Small networks and few steps keep the ~90 fits per instance fast; every code path
runs (pretraining, self-expressive fine-tuning, post-processing, spectral
clustering, out-of-sample coding). Quality is tested in ``test_subspace.py``.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import DeepMultimodalSubspaceClustering, DeepSubspaceClustering

SMALL = dict(n_clusters=3, hidden_dims=(16,), embedding_dim=4, pretrain_epochs=5,
             max_iter=20, lr=1e-2, batch_size=16, random_state=0)

ESTIMATORS = [
    DeepSubspaceClustering(**SMALL),
    DeepMultimodalSubspaceClustering(**SMALL, fusion="intermediate", fusion_function="max"),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {},
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)
