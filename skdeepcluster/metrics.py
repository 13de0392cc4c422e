"""Clustering accuracy and label-based scorers for model selection."""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_rand_score,
    get_scorer as _sklearn_get_scorer,
    make_scorer,
    normalized_mutual_info_score,
)
from sklearn.metrics.cluster import contingency_matrix
from sklearn.utils._param_validation import validate_params


@validate_params(
    {"labels_true": ["array-like"], "labels_pred": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def cluster_accuracy(labels_true, labels_pred):
    """Accuracy of a clustering under the best one-to-one matching of labels.

    Clusters are matched to classes with the Hungarian algorithm
    (:func:`scipy.optimize.linear_sum_assignment`) so as to maximise the number of
    agreeing samples; unmatched clusters (more clusters than classes) count as
    errors. This is the ACC reported by DEC, IDEC and most deep clustering papers.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Ground-truth classes.
    labels_pred : array-like of shape (n_samples,)
        Cluster labels.

    Returns
    -------
    accuracy : float
        Between 0 and 1.

    Examples
    --------
    >>> from skdeepcluster.metrics import cluster_accuracy
    >>> cluster_accuracy([0, 0, 1, 1, 2], [1, 1, 0, 0, 0])
    0.8
    """
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    if labels_true.shape != labels_pred.shape or labels_true.ndim != 1:
        raise ValueError(
            "labels_true and labels_pred must be 1-D arrays of the same length, got "
            f"shapes {labels_true.shape} and {labels_pred.shape}."
        )
    if labels_true.size == 0:
        raise ValueError("labels_true and labels_pred are empty.")
    counts = contingency_matrix(labels_true, labels_pred)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / labels_true.size)


cluster_accuracy_scorer = make_scorer(cluster_accuracy)
nmi_scorer = make_scorer(normalized_mutual_info_score)
ari_scorer = make_scorer(adjusted_rand_score)

SCORERS = {
    "cluster_accuracy": cluster_accuracy_scorer,
    "accuracy": cluster_accuracy_scorer,
    "nmi": nmi_scorer,
    "ari": ari_scorer,
}


def get_scorer(scoring):
    """Scorer by name: ours (``'cluster_accuracy'``, ``'nmi'``, ``'ari'``) or scikit-learn's.

    ``'accuracy'`` maps to :func:`cluster_accuracy` (label matching), not to
    scikit-learn's classification accuracy, which is meaningless for clusters.

    Parameters
    ----------
    scoring : str or callable
        A name, or a scorer (returned unchanged).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, usable as ``GridSearchCV(scoring=...)``.

    Examples
    --------
    >>> from skdeepcluster.metrics import get_scorer
    >>> get_scorer("nmi")
    make_scorer(normalized_mutual_info_score, response_method='predict')
    """
    if callable(scoring):
        return scoring
    if scoring in SCORERS:
        return SCORERS[scoring]
    return _sklearn_get_scorer(scoring)
