"""onnxruntime latency of ONNX files, timed as `host-train latency` times tract: batch 1,
one thread, the same constant input (0.1 everywhere), 5 warm-up runs, then N timed runs.
Prints one JSON line per file. Run through scripts/bench-onnx.sh."""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

runs = int(sys.argv[1])
for path in sys.argv[2:]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.full(inp.shape, 0.1, dtype=np.float32)
    for _ in range(5):
        sess.run(None, {inp.name: x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, {inp.name: x})
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"model": path, "engine": "onnxruntime " + ort.__version__, "p50_ms": times[len(times) // 2],
                      "mean_ms": sum(times) / len(times)}))
