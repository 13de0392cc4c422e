import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from skdeepcluster.metrics import SCORERS, cluster_accuracy, get_scorer


def test_accuracy_is_invariant_to_label_permutation():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(y, np.array([2, 2, 0, 0, 1, 1])) == 1.0
    assert cluster_accuracy(y, np.array([2, 2, 0, 1, 1, 1])) == pytest.approx(5 / 6)


def test_accuracy_counts_unmatched_clusters_as_errors():
    # 4 clusters for 2 classes: only two clusters can be matched
    assert cluster_accuracy([0, 0, 1, 1], [0, 1, 2, 3]) == 0.5


def test_accuracy_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        cluster_accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="empty"):
        cluster_accuracy([], [])


def test_scorers_work_in_grid_search_by_name_and_object():
    X, y = make_blobs(90, centers=3, random_state=0)
    for scoring in ["cluster_accuracy", "nmi", "ari", SCORERS["accuracy"]]:
        search = GridSearchCV(KMeans(n_init=2, random_state=0), {"n_clusters": [2, 3]},
                              scoring=get_scorer(scoring), cv=3).fit(X, y)
        assert search.best_params_ == {"n_clusters": 3}
    assert get_scorer("adjusted_rand_score") is not None  # falls back to scikit-learn
