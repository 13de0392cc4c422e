"""Data-parallel fits: 2 CPU processes under ``torchrun`` (gloo), on real data.

Each fit runs ``tests/_distributed_fit.py`` as a user's script, in a fresh process
group of its own, with a timeout (a deadlock fails the test instead of hanging CI).
"""

import copy
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import normalized_mutual_info_score
from skorch.dataset import Dataset

import skdeepcluster
from skdeepcluster import distributed
from skdeepcluster.distributed import DataParallel, _ShardedBatches
from skdeepcluster.inputs import StreamedData
from skdeepcluster.training import TensorBatchIterator

sys.path.insert(0, str(Path(__file__).parent))
from _distributed_fit import ESTIMATORS, data  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("_distributed_fit.py")
TIMEOUT = 240  # seconds for one launch; a fit takes about 25 s on a loaded 2-core machine

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="this torch build has no torch.distributed")


def torchrun(tmp_path, name, *args, nproc=2):
    """Run the script under ``torchrun`` with ``nproc`` CPU processes; return its output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), "OMP_NUM_THREADS": "1"}
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={nproc}", str(SCRIPT), name, str(tmp_path), *args]
    # a session of its own: on a timeout, the launcher and both workers are stopped
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"torchrun did not finish within {TIMEOUT} s (deadlock?):\n{out[-3000:]}")
    return proc.returncode, out


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_two_processes_fit_one_model(name, tmp_path):
    X, y = data(name, tmp_path)  # a memmap's file, written before the processes read it
    code, out = torchrun(tmp_path, name)
    assert code == 0, out[-5000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    assert all(int(r["world_size"]) == 2 for r in ranks)
    assert all(int(r["patched"]) == 0 for r in ranks)  # the batch norms got theirs back
    # every process ends with the same fitted estimator
    np.testing.assert_array_equal(ranks[0]["labels"], ranks[1]["labels"])
    np.testing.assert_array_equal(ranks[0]["weights"], ranks[1]["weights"])
    np.testing.assert_array_equal(ranks[0]["train_loss"], ranks[1]["train_loss"])
    # saved once, by the main process
    assert sorted(p.name for p in tmp_path.glob("*.skdc")) == ["model0.skdc"]
    restored = skdeepcluster.load(tmp_path / "model0.skdc")
    np.testing.assert_array_equal(restored.labels_, ranks[0]["labels"])
    # as good as one process with the same (global) batch size: within 0.02 NMI
    single = ESTIMATORS[name]().fit(X)
    nmi_parallel = normalized_mutual_info_score(y, ranks[0]["labels"])
    nmi_single = normalized_mutual_info_score(y, single.labels_)
    assert abs(nmi_parallel - nmi_single) <= 0.02, (nmi_parallel, nmi_single)


@pytest.mark.parametrize("name", ["dec", "deepcluster_dataset"])
def test_processes_with_different_data_are_refused(name, tmp_path):
    short = '{"n_epochs": 1}' if name.startswith("deepcluster") else '{"pretrain_epochs": 1}'
    code, out = torchrun(tmp_path, name, short, "mismatch")
    assert code != 0
    assert "every process must pass the same X" in out


def test_one_process_is_not_distributed():
    assert distributed.world_size() == 1
    assert distributed.is_main_process()
    assert distributed.current() is None
    assert distributed.map_rows(lambda rows: rows * 2, np.arange(3)).tolist() == [0, 2, 4]
    assert distributed.from_main_process("value") == "value"


def test_sharded_batches_split_each_batch_in_equal_parts():
    batches = [(torch.arange(10), torch.arange(10) + 100), (torch.arange(5), None),
               (torch.arange(3), torch.arange(3))]
    parts = [list(_ShardedBatches(batches, rank, 2)) for rank in (0, 1)]
    # the 3-row batch would give a process one row (batch norm needs two): skipped
    assert [len(p) for p in parts] == [2, 2]
    for (x0, y0), (x1, y1), (x, _) in zip(*parts, batches):
        assert len(x0) == len(x1) == len(x) // 2
        assert not set(x0.tolist()) & set(x1.tolist())
    np.testing.assert_array_equal(parts[1][0][1], [105, 106, 107, 108, 109])
    assert parts[0][1][1] is None


def test_streamed_batches_are_shared_as_tensor_batches():
    """Each process reads only its share of every batch of data read in batches: the
    rows it would slice out of the same batch of an in-memory tensor."""
    X = np.random.default_rng(0).normal(size=(37, 3)).astype(np.float32)

    def batches(dataset):
        return TensorBatchIterator(dataset, 8, shuffle=True,
                                   generator=torch.Generator().manual_seed(3))

    for rank in (0, 1):
        sliced = [x for x, _ in _ShardedBatches(batches(Dataset(torch.as_tensor(X))), rank, 2)]
        read = [x for x, _ in batches(StreamedData(X).sharded(rank, 2))]
        # batches of 8, 8, 8, 8 and 5 rows: each process takes 4, 4, 4, 4 and 2
        assert [len(x) for x in read] == [len(x) for x in sliced] == [4, 4, 4, 4, 2]
        for a, b in zip(sliced, read):
            np.testing.assert_array_equal(a, b)


def test_streamed_data_slices_into_rows():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    part = StreamedData(X)[3:7]
    assert len(part) == 4 and part.shape == (4, 2)
    np.testing.assert_array_equal(torch.cat(list(part.batches(3))), X[3:7])
    np.testing.assert_array_equal(part[1:][0][0], X[4])
    assert len(StreamedData(X)[12:]) == 0


def test_batch_noise_is_each_process_part_of_the_whole_batch():
    """Each process draws the noise of the whole batch and keeps its rows: together they
    hold the noise of one process training on the whole batch."""
    def draw(shape):
        return torch.empty(shape).bernoulli_(0.5)

    parts = []
    for rank in (0, 1):
        context = DataParallel.__new__(DataParallel)  # no process group needed here
        context.rank, context.world_size = rank, 2
        torch.manual_seed(0)
        parts.append(context.batch_noise((7, 3, 5), 1, draw))
    torch.manual_seed(0)
    np.testing.assert_array_equal(torch.cat(parts, 1), draw((7, 6, 5)))


def test_augmentation_is_each_process_part_of_the_whole_batch(monkeypatch):
    """DeepCluster's random shifts and flips: two processes' halves of a batch get the
    crops and flips one process gives the whole batch."""
    from skdeepcluster import distributed
    from skdeepcluster.nn import RandomCropFlip

    augment = RandomCropFlip(padding=2).train()
    x = torch.randn(8, 1, 6, 6, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    whole = augment(x)
    parts = []
    for rank in (0, 1):
        context = DataParallel.__new__(DataParallel)  # no process group needed here
        context.rank, context.world_size = rank, 2
        monkeypatch.setattr(distributed, "current", lambda: context)
        torch.manual_seed(0)
        parts.append(augment(x[4 * rank:4 * rank + 4]))
    np.testing.assert_array_equal(torch.cat(parts), whole)


@pytest.mark.parametrize("norm", [torch.nn.BatchNorm1d(3),
                                  torch.nn.BatchNorm2d(3, momentum=None)])
def test_whole_batch_norm_is_a_batch_norm(norm, tmp_path):
    """In a group of one process, the whole-batch batch norm is torch's: same output,
    gradients and running statistics."""
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}",
                                         rank=0, world_size=1)
    try:
        context = DataParallel("cpu")
        reference = copy.deepcopy(norm)
        with torch.no_grad():
            for module in (norm, reference):  # not the identity affine map
                module.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
                module.bias.copy_(torch.tensor([0.1, 0.0, -0.3]))
        shape = (8, 3) if isinstance(norm, torch.nn.BatchNorm1d) else (8, 3, 4, 5)
        x = (torch.randn(shape, generator=torch.Generator().manual_seed(0)) * 3 + 1)
        weights = torch.randn(shape, generator=torch.Generator().manual_seed(1))
        results = []
        for forward in (lambda x: context.batch_norm(norm, x), reference):
            x_grad = x.clone().requires_grad_()
            for _ in range(2):  # two steps: the running statistics are updated twice
                out = forward(x_grad)
            (out * weights).sum().backward()
            results.append((out.detach(), x_grad.grad))
        for ours, theirs in zip(*results):
            torch.testing.assert_close(ours, theirs)
        for ours, theirs in zip([*norm.parameters(), *norm.buffers()],
                                [*reference.parameters(), *reference.buffers()]):
            torch.testing.assert_close(ours, theirs)
            if ours.grad is not None:
                torch.testing.assert_close(ours.grad, theirs.grad)
    finally:
        torch.distributed.destroy_process_group()
