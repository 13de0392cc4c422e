"""
===================================================
Clustering a continuous recording cut into windows
===================================================

A smartwatch records without pauses; the clusterers take windows. This example
joins one subject's shoulder-exercise recordings (seglearn's ``load_watch``: 6
channels at 50 Hz, accelerometer then gyroscope, 7 exercises) into one continuous
recording, cuts it with :func:`skdeepcluster.preprocessing.sliding_windows` into
2-second windows that overlap by half, and clusters the windows with
:class:`~skdeepcluster.MultiTaskRNNClusterer`'s defaults. Each window's label is the
exercise of most of its steps; the labels only score the clustering.

The seglearn package (installed with the ``benchmarks`` extra) holds the data.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from seglearn.datasets import load_watch
from sklearn.metrics import normalized_mutual_info_score

from skdeepcluster import MultiTaskRNNClusterer
from skdeepcluster.metrics import cluster_accuracy
from skdeepcluster.preprocessing import sliding_windows

watch = load_watch()
subject = watch["subject"][0]
mine = np.flatnonzero(watch["subject"] == subject)
recording = np.concatenate([watch["X"][i] for i in mine])          # (n_steps, 6)
step_labels = np.concatenate([np.full(len(watch["X"][i]), watch["y"][i]) for i in mine])
exercises = list(watch["y_labels"])
rate = 50  # Hz

windows, window_labels = sliding_windows(recording, width=2 * rate, step=rate,
                                         labels=step_labels)
n_clusters = len(np.unique(window_labels))
print(f"subject {subject}: {len(recording) / rate:.0f} s of recording, "
      f"{len(windows)} windows of {windows.shape[1]} steps x {windows.shape[2]} channels, "
      f"{n_clusters} exercises")

model = MultiTaskRNNClusterer(n_clusters=n_clusters, random_state=0)
clusters = model.fit_predict(windows)
print(f"NMI {normalized_mutual_info_score(window_labels, clusters):.3f}, "
      f"ACC {cluster_accuracy(window_labels, clusters):.3f}")

# %%
# The recording, its exercises and the clusters found
# ----------------------------------------------------
# Window ``i`` starts at ``i`` seconds (a step of 50 samples at 50 Hz). Cluster
# numbers are arbitrary: a good clustering changes colour where the exercise does.
t = np.arange(len(recording)) / rate
fig, axes = plt.subplots(3, 1, figsize=(10, 6), sharex=True,
                         gridspec_kw={"height_ratios": [3, 1, 1]})
for c, name in enumerate(["x", "y", "z"]):
    axes[0].plot(t, recording[:, c], lw=0.5, label=f"accelerometer {name}")
axes[0].set_ylabel("acceleration (g)")
axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)

exercise_cmap = ListedColormap(plt.cm.Set2.colors[:len(exercises)])
for ax, values, cmap, name in [(axes[1], window_labels, exercise_cmap, "exercise"),
                               (axes[2], clusters, "tab10", "cluster")]:
    ax.imshow(values[None, :], aspect="auto", cmap=cmap, vmin=-0.5,
              vmax=(len(exercises) if name == "exercise" else 10) - 0.5,
              interpolation="nearest", extent=(0, len(windows) + 1, 0, 1))
    ax.set_yticks([])
    ax.set_ylabel(name)
present = np.unique(window_labels)
axes[1].legend([plt.Rectangle((0, 0), 1, 1, color=exercise_cmap(k)) for k in present],
               [exercises[k] for k in present], loc="upper left",
               bbox_to_anchor=(1.0, 1.6), fontsize=7, title="exercise", title_fontsize=7)
axes[2].set_xlabel("time (s)")
fig.suptitle("One subject's exercises, windows of 2 s, MultiTaskRNNClusterer defaults")
fig.tight_layout()
plt.show()
