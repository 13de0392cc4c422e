"""scikit-learn's full check suite for DeepCluster, with zero expected failures.

The instance is small so that the ~90 fits of the suite take seconds, but every
code path of the flat-row model runs: several epochs, each with feature extraction,
PCA-whitening, k-means pseudo-labels, balanced sampling and training, then the final
k-means (or spectral clustering). ``pca_dim=2`` because the suite's data has 2 to 5 features: whitening more
directions than the data has would blow noise up to unit variance.
"""

import numpy as np
from _checks import assert_fit_leaves_global_rng_untouched
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepcluster import DeepCluster

SMALL_DC = dict(n_clusters=3, n_pseudo_clusters=5, hidden_dims=(16,), feature_dim=8,
                pca_dim=2, n_epochs=3, batch_size=16, n_init=2, random_state=0)


# both final steps: k-means (nearest-centroid predict) and spectral (k-NN vote predict)
@parametrize_with_checks([DeepCluster(**SMALL_DC, final_clustering="kmeans"),
                          DeepCluster(**SMALL_DC)],
                         expected_failed_checks=lambda est: {},
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_leaves_global_rng_untouched():
    X = np.random.RandomState(0).rand(40, 5)
    assert_fit_leaves_global_rng_untouched(lambda: DeepCluster(**SMALL_DC), X)
