"""One fit on real data, as a user's script would run it; launched by tests/test_distributed.py.

    python -m torch.distributed.run --standalone --nproc_per_node=2 tests/_distributed_fit.py NAME OUT
    python tests/_distributed_fit.py NAME OUT                 # the same fit in one process

NAME is a configuration of ``ESTIMATORS``; those ending in ``_memmap`` or ``_dataset``
read their data in batches (a numpy memmap of ``OUT/X.npy``, a torch ``TensorDataset``).

Optional arguments after OUT: a JSON dict of parameters to set, and ``mismatch`` (each
process drops its rank's number of rows: a fit to refuse).

Every process writes ``OUT/rank<r>.npz`` (labels, weights, losses) and calls ``save`` on
``OUT/model<r>.skdc``, which writes on the main process only.
"""

import json
import os
import sys

import numpy as np
import torch
from sklearn.datasets import load_digits

import skdeepcluster
from skdeepcluster import DEC, DeepCluster, MultiTaskRNNClusterer
from skdeepcluster.datasets import load_basic_motions
from skdeepcluster.distributed import world_size

# small but complete configurations; batch_size is the global batch in every case
ESTIMATORS = {
    "dec": lambda: DEC(10, hidden_dims=(128, 128), pretrain_epochs=30, max_iter=150,
                       batch_size=64, init="kmeans", n_init=5, random_state=0),
    "idec": lambda: DEC(10, hidden_dims=(128, 128), pretrain_epochs=30, max_iter=150,
                        batch_size=64, gamma=0.1, init="kmeans", n_init=5, random_state=0),
    # a hidden layer with batch norm, normalised with the statistics of the whole batch
    "deepcluster": lambda: DeepCluster(10, hidden_dims=(64,), feature_dim=32, pca_dim=16,
                                       n_epochs=4, batch_size=64, n_init=5, random_state=0),
    # batch norm, dropout between the two encoder layers and random teacher forcing:
    # each process draws the dropout masks of the whole batch and keeps its rows
    "rnn": lambda: MultiTaskRNNClusterer(4, num_layers=2, dropout=0.2, teacher_forcing=0.5,
                                         pretrain_epochs=4, max_iter=60, batch_size=16,
                                         random_state=0),
}
# the same configurations on data read in batches
ESTIMATORS["dec_memmap"] = ESTIMATORS["dec"]
ESTIMATORS["deepcluster_dataset"] = ESTIMATORS["deepcluster"]


def data(name, out=None):
    """``(X, y)`` of configuration ``name``; a memmap's file is written in ``out`` if absent."""
    if name == "rnn":
        X, y = load_basic_motions()
        return X.astype(np.float32), y
    X, y = load_digits(return_X_y=True)
    X, y = (X[:600] / 16.0).astype(np.float32), y[:600]
    if name.endswith("_memmap"):
        path = os.path.join(out, "X.npy")
        if not os.path.exists(path):
            np.save(path, X)
        return np.load(path, mmap_mode="r"), y
    if name.endswith("_dataset"):
        return torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(y)), y
    return X, y


def main(name, out, params="{}", mode=None):
    torch.set_num_threads(1)
    X, _ = data(name, out)
    rank = int(os.environ.get("RANK", 0))
    if mode == "mismatch":  # a mistake to refuse: each process loads other rows
        X = X[rank:] if isinstance(X, np.ndarray) else torch.utils.data.Subset(
            X, range(rank, len(X)))
    est = ESTIMATORS[name]().set_params(**json.loads(params)).fit(X)
    weights = np.concatenate([v.detach().cpu().double().numpy().ravel()
                              for v in est.net_.module_.state_dict().values()])
    np.savez(os.path.join(out, f"rank{rank}.npz"), labels=est.labels_, weights=weights,
             train_loss=np.asarray(est.history_[:, "train_loss"], dtype=float),
             world_size=world_size(), device=str(est.net_.device),
             # modules given a forward of their own during the fit (batch norms)
             patched=sum("forward" in vars(m) for m in est.net_.module_.modules()))
    # each process asks for its own file: only the main process writes
    skdeepcluster.save(est, os.path.join(out, f"model{rank}.skdc"))


if __name__ == "__main__":
    main(*sys.argv[1:])
