"""Same data and random_state in two fresh processes → bit-identical results."""

import subprocess
import sys

SCRIPT = """
import hashlib, numpy as np, torch
torch.set_num_threads(1)
from skdeepcluster import DEC
X = np.random.RandomState(0).rand(150, 12)
d = DEC(n_clusters=4, hidden_dims=(32, 32), embedding_dim=3, pretrain_epochs=5,
        max_iter=40, tol=0, random_state=7).fit(X)
print(hashlib.sha1(d.labels_.tobytes() + d.transform(X).tobytes()).hexdigest())
"""


def test_two_processes_give_identical_results():
    digests = [subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                              check=True).stdout.strip() for _ in range(2)]
    assert len(digests[0]) == 40 and digests[0] == digests[1]
