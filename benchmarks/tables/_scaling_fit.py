"""One DeepCluster fit for the ``scaling`` table, run by ``torchrun`` with 1 or more processes.

    torchrun --standalone --nproc_per_node=P -m benchmarks.tables._scaling_fit DATASET SEED EPOCHS DEVICE QUICK

The main process prints one JSON line: the seconds of each epoch and the mean seconds
of its parts after the first epoch (from the fit's history), the scores and the number
of processes.
"""

import json
import os
import sys

import numpy as np
import torch


def main(dataset, seed, epochs, device, quick):
    from benchmarks._harness import load, scores
    from skdeepcluster import DeepCluster
    from skdeepcluster.distributed import is_main_process, world_size

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    data = load(dataset, quick == "1")
    shape = {"fashion10k": (1, 28, 28), "digits": (1, 8, 8)}[dataset]
    kwargs = {} if device == "default" else {"device": device}
    est = DeepCluster(n_clusters=data.n_clusters, input_shape=shape, n_epochs=int(epochs),
                      random_state=int(seed), **kwargs).fit(data.X)
    history = est.history_
    record = {"processes": world_size(), "threads": torch.get_num_threads(),
              "device": str(est.net_.device),
              "epoch_s": [round(v, 3) for v in history[:, "dur"]],
              # the parts of the epochs after the first (warm-up), as the table's means
              **{key: round(float(np.mean(history[1:, key])), 3)
                 for key in ("time_features", "time_pca", "time_kmeans", "time_train")},
              **scores(data.y, est.labels_)}
    if is_main_process():
        print("RESULT " + json.dumps(record), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
