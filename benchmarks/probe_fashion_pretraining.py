"""Probe: AE + k-means quality on the Fashion-MNIST 10k subset as pretraining goes on.

Pretrains in chunks of 20 epochs (each chunk restarts Adam, continuing from the previous
weights through ``autoencoder=``) and prints AE + k-means ACC / NMI after each chunk.
"""
import time, torch, numpy as np
from sklearn.metrics import normalized_mutual_info_score as nmi
from skdeepcluster import DEC
from skdeepcluster.datasets import load_fashion_mnist
from skdeepcluster.metrics import cluster_accuracy
torch.set_num_threads(2)
X, y = load_fashion_mnist(n_samples=10000, random_state=0)
ae, total = None, 0
for chunk in [20, 20, 20, 20, 20]:
    t = time.time()
    d = DEC(n_clusters=10, random_state=0, autoencoder=ae, pretrain_epochs=chunk, max_iter=0).fit(X)
    ae = d.net_.module_.autoencoder.float(); total += chunk
    print(f"epochs {total} AE+km acc {cluster_accuracy(y, d.labels_):.3f} nmi {nmi(y, d.labels_):.3f} loss {d.pretrain_history_[-1,'train_loss']:.4f} {time.time()-t:.0f}s", flush=True)
