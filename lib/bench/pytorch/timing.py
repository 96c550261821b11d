"""Times a PyTorch baseline's step and prints the JSON line lib/bench/pytorch.ts reads.

Shared by the baselines in this folder: `report(step, warmup, n, unit)` runs `step` warmup times,
then times n runs of it, and prints {<unit>s_per_s, ms_per_<unit>, <unit>s, torch, threads,
blas_libraries} (the BLAS libraries mapped into the process, to show that OpenBLAS, not the
reference BLAS, did the products).
"""
import json
import time

import torch


def report(step, warmup, n, unit):
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    seconds = time.perf_counter() - t0
    with open("/proc/self/maps") as maps:
        loaded = sorted({line.split()[-1] for line in maps if "blas" in line.lower()})
    print(json.dumps({
        f"{unit}s_per_s": n / seconds,
        f"ms_per_{unit}": 1000 * seconds / n,
        f"{unit}s": n,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_libraries": loaded,
    }))
