"""
===================================================
Clustering a continuous recording cut into windows
===================================================

A smartwatch records without pauses; the clusterers take windows. This example
builds one continuous recording from BasicMotions (the 80 ten-second recordings of a
smartwatch's accelerometer and gyroscope at 10 Hz, 4 activities, joined end to end
in a shuffled order), cuts it with :func:`skdeepcluster.preprocessing.sliding_windows`
into 5-second windows that overlap by half, and clusters the windows with
:class:`~skdeepcluster.MultiTaskRNNClusterer`'s defaults. Each window's label is the
activity of most of its steps (windows that straddle two recordings mix two
activities); the labels only score the clustering.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import MultiTaskRNNClusterer
from skdeepcluster.datasets import load_basic_motions
from skdeepcluster.metrics import cluster_accuracy
from skdeepcluster.preprocessing import sliding_windows

X, y = load_basic_motions()                        # 80 recordings x 100 steps x 6 channels
order = np.random.RandomState(0).permutation(len(X))
recording = np.concatenate(X[order])               # (8000 steps, 6 channels)
activities = sorted(set(y))
step_labels = np.repeat([activities.index(a) for a in y[order]], X.shape[1])
rate = 10  # Hz

windows, window_labels = sliding_windows(recording, width=5 * rate, labels=step_labels)
print(f"{len(recording) / rate:.0f} s of recording -> {len(windows)} windows of "
      f"{windows.shape[1]} steps x {windows.shape[2]} channels")

model = MultiTaskRNNClusterer(n_clusters=len(activities), random_state=0)
clusters = model.fit_predict(windows)
print(f"NMI {normalized_mutual_info_score(window_labels, clusters):.3f}, "
      f"ACC {cluster_accuracy(window_labels, clusters):.3f}")

# %%
# The recording, its activities and the clusters found
# ----------------------------------------------------
# The first two minutes. Window ``i`` starts at ``2.5 i`` seconds (the default
# ``step`` is half the width). Cluster numbers are arbitrary: a good clustering
# changes colour where the activity does.
shown = 120 * rate
t = np.arange(shown) / rate
n_shown = int(np.searchsorted(np.arange(len(windows)) * 2.5 * rate, shown))
fig, axes = plt.subplots(3, 1, figsize=(10, 6), sharex=True,
                         gridspec_kw={"height_ratios": [3, 1, 1]})
for c, name in enumerate(["x", "y", "z"]):
    axes[0].plot(t, recording[:shown, c], lw=0.6, label=f"accelerometer {name}")
axes[0].set_ylabel("acceleration (sensor units)")
axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)

activity_cmap = ListedColormap(plt.cm.Set2.colors[:len(activities)])
for ax, values, cmap, vmax, name in [
        (axes[1], window_labels, activity_cmap, len(activities), "activity"),
        (axes[2], clusters, "tab10", 10, "cluster")]:
    ax.imshow(values[None, :n_shown], aspect="auto", cmap=cmap, vmin=-0.5,
              vmax=vmax - 0.5, interpolation="nearest",
              extent=(0, n_shown * 2.5, 0, 1))
    ax.set_yticks([])
    ax.set_ylabel(name)
axes[1].legend([plt.Rectangle((0, 0), 1, 1, color=activity_cmap(k))
                for k in range(len(activities))], activities, loc="upper left",
               bbox_to_anchor=(1.0, 1.2), fontsize=7, title="activity", title_fontsize=7)
axes[2].set_xlabel("time (s)")
fig.suptitle("BasicMotions as one recording, 5 s windows, MultiTaskRNNClusterer defaults")
fig.tight_layout()
plt.show()
