"""Ratios of seconds per epoch, per call, from the progress lines of GPU speed logs.

``bench_dec_speed.py`` prints one progress line per run (implementation, variant,
pretraining and clustering seconds per epoch). A call cut off by a time limit prints no
JSON summary, so this reads those lines instead: for each log given, the median over its
runs of each implementation, and the ratio of every implementation to ``bare``.

    python benchmarks/analyse_gpu_speed_logs.py benchmarks/results_gpu_s9/run1_before_fix/speed.log \\
        benchmarks/results_gpu_s9/run2_after_fix/speed.log
"""

import json
import re
import statistics
import sys

LINE = re.compile(r"\] (\S+)\s+(dec|idec)\s+pre ([\d.]+)s/ep .*? clu ([\d.]+)s/ep")


def summarise(path):
    runs = {}
    with open(path) as f:
        for line in f:
            match = LINE.search(line)
            if match:
                impl, variant, pre, clu = match.groups()
                runs.setdefault((variant, impl), []).append((float(pre), float(clu)))
    out = {}
    for (variant, impl), values in sorted(runs.items()):
        out.setdefault(variant, {})[impl] = {
            "runs": len(values),
            "pretrain_s_per_epoch": statistics.median(v[0] for v in values),
            "clustering_s_per_epoch": statistics.median(v[1] for v in values)}
    for variant, by_impl in out.items():
        bare = by_impl.get("bare")
        for impl, med in by_impl.items():
            if bare and impl != "bare":
                med["ratio_to_bare"] = [
                    round(med[k] / bare[k], 2)
                    for k in ("pretrain_s_per_epoch", "clustering_s_per_epoch")]
    return out


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(json.dumps({"log": path, "medians": summarise(path)}))
