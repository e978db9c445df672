"""Training throughput of PyTorch eager on the same model, timed the same way as
`host-train bench`: random inputs, AdamW, 2 warm-up steps, then N timed steps of
forward + cross-entropy + backward + step. Prints one JSON line.

Run through scripts/bench-train.sh, which installs the full torch wheel into its own
virtualenv (.venv-bench/, outside CI: the lean libtorch of scripts/setup.sh cannot
`import torch`) and runs both engines side by side.
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="mobilenetv2", choices=["mobilenetv2"])
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--input-size", type=int, default=224)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--classes", type=int, default=29)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(width_mult=a.width, num_classes=a.classes)
    if a.channels != 3:
        c0 = model.features[0][0]
        model.features[0][0] = torch.nn.Conv2d(a.channels, c0.out_channels, 3, 2, 1, bias=False)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    x = torch.randn(a.batch, a.channels, a.input_size, a.input_size)
    y = torch.randint(a.classes, (a.batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    secs = time.perf_counter() - start
    params = sum(t.numel() for t in model.parameters() if t.requires_grad)
    print(json.dumps({
        "engine": "pytorch-eager", "torch": torch.__version__, "arch": a.arch, "width": a.width,
        "input_size": a.input_size, "batch": a.batch, "steps": a.steps, "threads": torch.get_num_threads(),
        "parameters": params, "images_per_sec": a.steps * a.batch / secs, "ms_per_step": secs * 1000 / a.steps,
    }))


if __name__ == "__main__":
    main()
