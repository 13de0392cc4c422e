"""Hyper-parameter searches over every estimator on a dask cluster (joblib's dask backend).

The fits of a search are independent: under ``joblib.parallel_backend("dask")`` they
run on the workers of a ``distributed.LocalCluster`` (2 worker processes here, a
real cluster in production), and the results are those of the plain joblib backend.
"""

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from skdeepcluster import (
    DEC,
    DeepCluster,
    DeepMultimodalSubspaceClustering,
    DeepSubspaceClustering,
    MultiTaskRNNClusterer,
)
from skdeepcluster.datasets import load_basic_motions

distributed = pytest.importorskip("distributed")

# tiny fits on 30 rows may lose a cluster; that is not what these tests are about
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits(n=60):
    X, _ = load_digits(return_X_y=True)
    return (X[:n] / 16.0).astype(np.float32)


def _windows():
    X, _ = load_basic_motions()
    return X[:40, ::4].astype(np.float32)  # 40 windows of 25 steps


# (estimator, grid, data): tiny networks and few epochs; two candidates each
SEARCHES = {
    "DEC": (DEC(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=2, max_iter=10,
                n_init=2, init="kmeans", random_state=0),
            {"lr": [1e-3, 1e-2]}, _digits),
    "IDEC": (DEC(3, hidden_dims=(16,), embedding_dim=2, pretrain_epochs=2, max_iter=10,
                 n_init=2, init="kmeans", gamma=0.1, random_state=0),
             {"embedding_dim": [2, 3]}, _digits),
    "DeepCluster": (DeepCluster(3, hidden_dims=(16,), feature_dim=8, pca_dim=4, n_epochs=2,
                                batch_size=16, n_init=2, final_clustering="kmeans",
                                random_state=0),
                    {"lr": [0.01, 0.05]}, _digits),
    "MultiTaskRNNClusterer": (MultiTaskRNNClusterer(3, hidden_size=4, num_layers=1,
                                                    embedding_dim=2, pretrain_epochs=2,
                                                    max_iter=6, n_init=2, batch_size=16,
                                                    final_clustering="kmeans",
                                                    random_state=0),
                              {"gamma": [0.1, 1.0]}, _windows),
    "DeepSubspaceClustering": (DeepSubspaceClustering(3, hidden_dims=(16,), embedding_dim=4,
                                                      pretrain_epochs=2, max_iter=5,
                                                      random_state=0),
                               {"lr": [1e-3, 1e-2]}, _digits),
    "DeepMultimodalSubspaceClustering": (
        DeepMultimodalSubspaceClustering(3, modalities=(32, 32), hidden_dims=(16,),
                                         embedding_dim=4, pretrain_epochs=2, max_iter=5,
                                         random_state=0),
        {"fusion_function": ["sum", "max"]}, _digits),
}


@pytest.fixture(scope="module")
def client():
    # worker processes, one thread each (dask sets OMP_NUM_THREADS=1 in them)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("name", list(SEARCHES))
def test_grid_search_on_dask_equals_joblib(name, client):
    estimator, grid, data = SEARCHES[name]
    X = data()
    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(estimator, grid, cv=2, n_jobs=-1).fit(X)
    plain = GridSearchCV(estimator, grid, cv=2).fit(X)
    assert on_dask.cv_results_["params"] == plain.cv_results_["params"]
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(on_dask.cv_results_[key], plain.cv_results_[key],
                                   rtol=1e-6, err_msg=key)
    assert on_dask.best_params_ == plain.best_params_
    labels = on_dask.best_estimator_.predict(X)
    assert labels.shape == (len(X),)
    np.testing.assert_array_equal(labels, plain.best_estimator_.predict(X))


def test_randomized_search_on_dask_equals_joblib(client):
    estimator, _, data = SEARCHES["DEC"]
    X = data()
    space = {"lr": [1e-4, 1e-3, 1e-2], "embedding_dim": [2, 3]}
    with joblib.parallel_backend("dask"):
        on_dask = RandomizedSearchCV(estimator, space, n_iter=2, cv=2, random_state=0,
                                     n_jobs=-1).fit(X)
    plain = RandomizedSearchCV(estimator, space, n_iter=2, cv=2, random_state=0).fit(X)
    assert on_dask.cv_results_["params"] == plain.cv_results_["params"]
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               plain.cv_results_["mean_test_score"], rtol=1e-6)
    np.testing.assert_array_equal(on_dask.best_estimator_.predict(X),
                                  plain.best_estimator_.predict(X))
