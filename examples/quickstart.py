"""Quickstart: DEC with its default parameters on scikit-learn's digits.

Prints ACC / NMI / ARI of DEC and, on the same pixels, of scikit-learn's k-means and
spectral clustering of the 10-nearest-neighbour graph. Takes about a minute on a
2-core CPU.
"""

import time

from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skdeepcluster import DEC
from skdeepcluster.metrics import cluster_accuracy

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels to [0, 1]


def report(name, labels, seconds):
    print(f"{name:>18}: ACC={cluster_accuracy(y, labels):.3f} "
          f"NMI={normalized_mutual_info_score(y, labels):.3f} "
          f"ARI={adjusted_rand_score(y, labels):.3f}  ({seconds:.1f} s)")


start = time.perf_counter()
km = KMeans(n_clusters=10, n_init=10, random_state=0).fit_predict(X)
report("k-means on pixels", km, time.perf_counter() - start)

start = time.perf_counter()
sc = SpectralClustering(n_clusters=10, affinity="nearest_neighbors", n_neighbors=10,
                        assign_labels="cluster_qr", random_state=0).fit_predict(X)
report("spectral, 10-NN", sc, time.perf_counter() - start)

start = time.perf_counter()
dec = DEC(n_clusters=10, random_state=0, verbose=0)
labels = dec.fit_predict(X)
report("DEC", labels, time.perf_counter() - start)
print(f"DEC stopped after {dec.n_iter_} clustering iterations "
      f"({'converged' if dec.converged_ else 'max_iter reached'}) on {dec.net_.device}.")
