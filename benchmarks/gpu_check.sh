#!/usr/bin/env bash
# The GPU checks of issues 2 and 4, prepared to run on the `device` machine in one go.
#
# That machine has python3 with a CUDA torch, scikit-learn, pytest and pytest-xdist, but
# no skorch, no ClustPy and no Fashion-MNIST, and it cannot download. Prepare them here once:
#
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#       -d .whl skorch==1.4.0 scikit-learn==1.9.1 array-api-strict array-api-compat
#   pip download --no-deps --no-binary=:all: -d /tmp clustpy==0.0.3      # an sdist with C code:
#   ~/.pyenv/versions/3.12.1/bin/python3.12 -m pip wheel --no-deps -w .whl /tmp/clustpy-0.0.3.tar.gz
#   mkdir -p benchmarks/out/fashion-mnist && cp /usr/share/datasets/fashion-mnist/*.gz benchmarks/out/fashion-mnist/
#
# then call the device tool's `run` with carry [".whl", "benchmarks/out/fashion-mnist"] and
#
#   bash benchmarks/gpu_check.sh tests speed     # the test suite; ours / bare loop / ClustPy
#   bash benchmarks/gpu_check.sh quality         # 70,000 images: DEC/IDEC defaults, DeepCluster
#                                                #   (defaults, k-means and spectral final step)
#   bash benchmarks/gpu_check.sh keras           # 70,000 images: DEC/IDEC with DEC-keras's recipe
#   DEADLINE=560 bash benchmarks/gpu_check.sh all   # all of it in one call of under 10 minutes
#
# `all` fits a lease of 15 minutes: the speed comparison runs alone first (its timings must
# not share the GPU), then the tests, DeepCluster (5 seeds) and both DEC 70k runs run side by
# side, each cut off DEADLINE seconds after the script started. Every job writes its lines as
# it goes, so a job that is cut off still leaves what it finished.
#
# Measured on an H200 in session 9 (benchmarks/RESULTS.md, "Session 9"): one speed run
# (one implementation, one variant) takes 15-22 s, mostly process and CUDA start-up, so
# the 16 runs of `speed` need about 300 s alone; `all` gives them SPEED_S=200 s (about 9
# runs). In `all`, the suite took 129 s beside the other jobs, DeepCluster 18-32 s per
# seed, the DEC defaults run 308 s, and the DEC-keras pretraining 302 s (its clustering
# phases did not fit before DEADLINE=545). With 15 minutes of device time, two calls fit:
# `speed` alone, and `all` with SPEED_S=0. Since session 10 DeepCluster runs each seed
# twice, with the k-means and the spectral final step (about 2x its session-9 time).
# Since session 11 the speed stage times `ours-nodet` (ours without the deterministic CUDA
# kernels of a seeded fit) in place of `ours-bf16`, which did not help on the GPU: session 9's
# second call, the only one with that scope, was the one where ours fell behind the bare loop.
#
# Logs and JSON lines land in $OUT (the device tool brings them back), else in
# benchmarks/out/gpu. SMOKE=1 shrinks every run so that the script itself can be
# tried on a CPU (data subset, few epochs); its numbers mean nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-benchmarks/out/gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 SKDEEPCLUSTER_FASHION_MNIST=$PWD/benchmarks/out/fashion-mnist
if [ -d .whl ] && ! python3 -c "import skorch" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
python3 - <<'EOF' | tee "$out/machine.txt"
import sklearn, skorch, torch
print("torch", torch.__version__, "skorch", skorch.__version__, "sklearn", sklearn.__version__,
      "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU")
EOF

if [ "${SMOKE:-0}" = 1 ]; then
    n70k=2000; dec_epochs="--pretrain-epochs 2 --max-iter 50"; keras_epochs="--pretrain-epochs 2 --max-iter 50"
    keras_all="$keras_epochs"
    dc_seeds=0; speed="--device cpu --n-samples 1000 --pretrain-epochs 1 --clustering-epochs 1 --repeats 1"
    tests="tests/test_datasets.py tests/test_metrics.py"
else
    n70k=0; dec_epochs=""; keras_epochs="--pretrain-epochs 300 --max-iter 20000"
    keras_all="--pretrain-epochs 300 --max-iter 8000"
    dc_seeds="0 1 2 3 4"; speed="--device cuda --n-samples 10000 --pretrain-epochs 10 --clustering-epochs 10 --repeats 2"
    tests="tests"
fi
deadline=${DEADLINE:-560}
until_deadline() { timeout $((deadline - SECONDS > 1 ? deadline - SECONDS : 1)) "$@"; }

for stage in "$@"; do
    start=$SECONDS
    case $stage in
    tests)  # the whole suite, estimators on device='auto' = cuda
        python3 -m pytest -q -n 8 -p no:cacheprovider $tests 2>&1 | tee "$out/tests.log" | tail -30 ;;
    speed)  # ours against a bare PyTorch loop and ClustPy on the same GPU
        python3 benchmarks/bench_dec_speed.py --clustpy-python "${CLUSTPY_PYTHON:-python3}" --impls ours,ours-nodet,bare,clustpy $speed \
            > "$out/speed.json" 2> "$out/speed.log"; tail -8 "$out/speed.log" ;;
    quality)  # all 70,000 images: DEC/IDEC with the defaults; DeepCluster
        python3 benchmarks/bench_dec_quality.py --n-samples $n70k --seeds 0 $dec_epochs \
            > "$out/dec70k_defaults.jsonl" 2>&1; tail -2 "$out/dec70k_defaults.jsonl"
        for final in kmeans spectral; do
            python3 benchmarks/bench_deepcluster.py --method deepcluster --defaults \
                --final-clustering $final --n-samples $n70k --seeds $dc_seeds --threads 8
        done > "$out/deepcluster70k.jsonl" 2>&1; tail -3 "$out/deepcluster70k.jsonl" ;;
    keras)  # all 70,000 images, DEC-keras's recipe: 300 epochs of SGD lr 1, clustering SGD 0.01
        python3 benchmarks/bench_dec_quality.py --n-samples $n70k --seeds 0 --batch-size 256 \
            --pretrain-optimizer sgd --pretrain-lr 1.0 --optimizer sgd --lr 0.01 --input-rms none $keras_epochs \
            > "$out/dec70k_keras.jsonl" 2>&1; tail -2 "$out/dec70k_keras.jsonl" ;;
    all)  # speed alone, then the rest side by side; one thread set per job on the 16 cores
        if [ "${SPEED_S:-200}" -gt 0 ]; then
            timeout "${SPEED_S:-200}" python3 benchmarks/bench_dec_speed.py \
                --clustpy-python "${CLUSTPY_PYTHON:-python3}" --impls ours,ours-nodet,bare,clustpy \
                $speed > "$out/speed.json" 2> "$out/speed.log"; tail -8 "$out/speed.log"
        fi
        echo "== speed: $((SECONDS - start)) s" | tee -a "$out/machine.txt"
        until_deadline python3 -m pytest -q -n 6 -p no:cacheprovider --tb=short -rf $tests \
            > "$out/tests.log" 2>&1 &
        for final in kmeans spectral; do  # the same 5 trained networks, two final steps
            until_deadline python3 benchmarks/bench_deepcluster.py --method deepcluster --defaults \
                --final-clustering $final --n-samples $n70k --seeds $dc_seeds --threads 2
        done > "$out/deepcluster70k.jsonl" 2>&1 &
        until_deadline python3 benchmarks/bench_dec_quality.py --n-samples $n70k --seeds 0 \
            --threads 2 $dec_epochs > "$out/dec70k_defaults.jsonl" 2>&1 &
        until_deadline python3 benchmarks/bench_dec_quality.py --n-samples $n70k --seeds 0 \
            --threads 2 --batch-size 256 --pretrain-optimizer sgd --pretrain-lr 1.0 --input-rms none \
            $keras_all > "$out/dec70k_keras.jsonl" 2>&1 &
        wait
        tail -n 3 "$out/tests.log" "$out/deepcluster70k.jsonl" "$out/dec70k_defaults.jsonl" \
            "$out/dec70k_keras.jsonl"
        nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv >> "$out/machine.txt" 2>&1 ;;
    *) echo "unknown stage $stage (tests, speed, quality, keras)"; exit 2 ;;
    esac
    echo "== $stage: $((SECONDS - start)) s" | tee -a "$out/stages.txt"
done
