#!/usr/bin/env bash
# GPU check: the test suite, then benchmark tables with --device cuda.
#
#   bash benchmarks/gpu_check.sh                     # = tests speed scaling
#   bash benchmarks/gpu_check.sh "dec --dataset fashion10k --seeds 0 1 2" "deepcluster --seeds 0 1"
#   bash benchmarks/gpu_check.sh "scaling --seeds 0 1"   # data-parallel DeepCluster, torchrun
#
# `scaling` launches DeepCluster with torchrun, one process per GPU (1, 2, 4, 8 up to the
# GPUs visible, NCCL): a one-GPU machine gives the one-process row only.
#
# Each argument is `tests` or a table with its options (`python -m benchmarks` lists the
# tables). Logs and results files go to $OUT if set (the device tool brings it back), else
# to benchmarks/out/gpu; the committed results files are not touched. The baselines run on
# the CPU (4 threads): a Gaussian mixture on Fashion-MNIST 10k takes minutes per seed, so
# size a call's tables to the device's 10-minute limit per command.
#
# Set-up, made here once and carried to a machine that cannot download:
#   - wheels of what its python3 lacks (e.g. skorch, for its Python version), in .whl/:
#       pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl skorch
#   - Fashion-MNIST (dec, deepcluster, speed, memory):
#       mkdir -p benchmarks/out/fashion-mnist && cp /usr/share/datasets/fashion-mnist/*.gz benchmarks/out/fashion-mnist/
#   carry: [".whl", "benchmarks/out/fashion-mnist"]. Tables whose baselines need the
#   `benchmarks` extra (rnn: tslearn, umap-learn; multimodal: mvlearn) need those wheels too.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-benchmarks/out/gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 SKDEEPCLUSTER_FASHION_MNIST=$PWD/benchmarks/out/fashion-mnist
if [ -d .whl ] && ! python3 -c "import skorch" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$out/machine.txt"
[ $# -gt 0 ] || set -- tests speed scaling
for stage in "$@"; do
    start=$SECONDS
    if [ "$stage" = tests ]; then
        python3 -m pytest -q -n 8 -p no:cacheprovider --tb=short -rf tests > "$out/tests.log" 2>&1
        tail -5 "$out/tests.log"
    else
        # shellcheck disable=SC2086  # a table name followed by its options
        python3 -m benchmarks $stage --device cuda --threads 4 --out "$out" 2>&1 \
            | tee "$out/${stage%% *}.log" | tail -3
    fi
    echo "== $stage: $((SECONDS - start)) s" | tee -a "$out/stages.txt"
done
