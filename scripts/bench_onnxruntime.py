"""onnxruntime latency of ONNX files: batch 1, CPU provider, intra-op threads as given,
5 warm-up runs, then N timed runs of the model call alone. With an inputs file (raw
little-endian f32 tensors one after another, as `device bench --save-inputs` writes
them) the runs cycle through those real inputs; without, a constant 0.1 input.
Prints one JSON line.

    python bench_onnxruntime.py MODEL RUNS THREADS [INPUTS]
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

path, runs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
inp = sess.get_inputs()[0]
shape = [1 if not isinstance(d, int) else d for d in inp.shape]
if len(sys.argv) > 4:
    xs = np.fromfile(sys.argv[4], dtype="<f4").reshape([-1] + shape)
else:
    xs = np.full([1] + shape, 0.1, dtype=np.float32)
for i in range(5):
    sess.run(None, {inp.name: xs[i % len(xs)]})
times = []
for i in range(runs):
    x = xs[i % len(xs)]
    start = time.perf_counter()
    sess.run(None, {inp.name: x})
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(json.dumps({"model": path, "engine": "onnxruntime " + ort.__version__, "threads": threads,
                  "inputs": len(xs), "p50_ms": times[len(times) // 2], "mean_ms": sum(times) / len(times)}))
