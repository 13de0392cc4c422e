"""Test-session settings shared by the tests and the doctests."""

import os

# Let scikit-learn's array-API check run instead of skipping (must precede scipy imports).
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import torch  # noqa: E402

# One intra-op thread per test process: on a loaded 2-core machine two threads
# oversubscribe and cost several times the CPU; pytest-xdist gives the parallelism.
torch.set_num_threads(1)
