#!/usr/bin/env python3
"""PyTorch timing of the three DQN training steps, for comparison with MoeScratch's quick mode on the same GPU.

    python3 benchmarks/pytorch_anchor.py [--device cuda:0] [--only dqn-train-b32,...] [--threads 1] [--tf32] [--smoke]

Not yet run on a GPU in this repository (see benchmarks/gpu-compare.sh, which calls it): no numbers from it are
recorded anywhere.

The networks and the step are those of the TorchSharp anchor harness (benchmarks/compare-torchsharp.sh; Models.cs and
Workloads.cs): Nature DQN, Soft MoE DQN (PerConv tokens, 8 experts x 1 slot, normalized logits with a learned scale)
and IMPALA-CNN DQN, batch 32 of uint8 84x84x4 frames, 18 actions; online forward; target forward under no_grad;
gather; Huber loss (delta 1, mean) against r + 0.99 (1 - done) max_a' Q_target(s', a'); backward; Adam (lr 6.25e-5,
betas 0.9/0.999, eps 1.5e-4); loss.item(). Parameter counts are checked against the anchors'.

Like MoeScratch's device run, the replay sample lives in (pageable) host memory and is uploaded at the start of each
step; loss.item() and torch.cuda.synchronize() end each timed step, so a sample covers the device's work. Timing
policy as QuickRunner (and the anchors' Bench.cs): warm-up >= 5 iterations and >= 0.5 s (stop at 50 once 0.5 s passed),
then >= 20 samples and >= 3 s (at most 5000); median and min. Output lines as quick mode:
    workload=<name> threads=<n> median_ms=<x> min_ms=<y> steps_per_s=<z> backend=torch-<device> tf32=<0|1>

Differences from the C# side, none of which changes the work done: the frames come from torch's seeded generator
rather than .NET's System.Random (the values differ, the sizes do not), layout is NCHW, and weights use PyTorch's
default initialisation. TF32 is off by default (cuDNN would otherwise use TF32 tensor cores for the convolutions,
while MoeScratch's kernels compute in plain FP32); --tf32 turns on what a PyTorch user gets by default.
"""
import argparse
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIONS = 18
GAMMA = 0.99
# Anchor parameter counts (results.json "model_parameters"): a drifting definition fails instead of timing other work.
PARAMETERS = {"dqn-train-b32": 1_693_362, "softmoe-train-b32": 663_859, "impala-train-b32": 2_089_954}


class NatureTorso(nn.Module):
    """84x84x4 -> conv32 8x8/4 -> conv64 4x4/2 -> conv64 3x3/1 -> [B, 64, 7, 7]; ReLU after each."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 32, 8, stride=4)
        self.conv2 = nn.Conv2d(32, 64, 4, stride=2)
        self.conv3 = nn.Conv2d(64, 64, 3, stride=1)

    def forward(self, x):
        return F.relu(self.conv3(F.relu(self.conv2(F.relu(self.conv1(x))))))


class NatureDqn(nn.Module):
    """Nature torso, flatten (3136), Linear 3136->512, ReLU, Linear 512->actions."""

    def __init__(self, actions):
        super().__init__()
        self.torso = NatureTorso()
        self.fc1 = nn.Linear(3136, 512)
        self.fc2 = nn.Linear(512, actions)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(self.torso(x).flatten(1))))


class SoftMoE(nn.Module):
    """Soft MoE (Puigcerver et al. 2023; Obando-Ceron et al. 2024), one slot per expert. Tokens [B, N, D] -> [B, N, D].

    logits = (scale * l2norm_D(X)) . l2norm_D(Phi)   [B, N, S]; dispatch = softmax over N; combine = softmax over S;
    slots = dispatch^T X [B, S, D]; y_s = expert_s(slot_s) (Linear D->H, ReLU, Linear H->D, batched); out = combine Y.
    """

    def __init__(self, dim, experts, hidden):
        super().__init__()
        self.phi = nn.Parameter(torch.randn(dim, experts) / math.sqrt(dim))   # [D, S]
        self.scale = nn.Parameter(torch.ones(1))
        k1, k2 = 1.0 / math.sqrt(dim), 1.0 / math.sqrt(hidden)
        self.w1 = nn.Parameter((torch.rand(experts, dim, hidden) * 2 - 1) * k1)  # [E, D, H]
        self.b1 = nn.Parameter((torch.rand(experts, 1, hidden) * 2 - 1) * k1)    # [E, 1, H]
        self.w2 = nn.Parameter((torch.rand(experts, hidden, dim) * 2 - 1) * k2)  # [E, H, D]
        self.b2 = nn.Parameter((torch.rand(experts, 1, dim) * 2 - 1) * k2)       # [E, 1, D]

    def forward(self, x):
        xn = F.normalize(x, p=2.0, dim=-1) * self.scale                      # [B, N, D]
        phin = F.normalize(self.phi, p=2.0, dim=0)                           # [D, S]
        logits = torch.matmul(xn, phin)                                      # [B, N, S]
        dispatch = logits.softmax(1)                                         # over tokens
        combine = logits.softmax(2)                                          # over slots
        slots = torch.matmul(dispatch.transpose(1, 2), x)                    # [B, S, D]
        xs = slots.transpose(0, 1)                                           # [E=S, B, D]
        h = F.relu(torch.bmm(xs, self.w1) + self.b1)                         # [E, B, H]
        ys = (torch.bmm(h, self.w2) + self.b2).transpose(0, 1)               # [B, S, D]
        return torch.matmul(combine, ys)                                     # [B, N, D]


class SoftMoEDqn(nn.Module):
    """Nature torso -> 49 PerConv tokens of dim 64 -> Soft MoE (8 experts, hidden 512) -> flatten (3136) -> Linear."""

    def __init__(self, actions, experts=8, hidden=512):
        super().__init__()
        self.torso = NatureTorso()
        self.moe = SoftMoE(64, experts, hidden)
        self.head = nn.Linear(49 * 64, actions)

    def forward(self, x):
        tokens = self.torso(x).flatten(2).transpose(1, 2)                    # [B, 49, 64]
        return self.head(self.moe(tokens).flatten(1))


class ImpalaResBlock(nn.Module):
    """x + conv(relu(conv(relu(x))))."""

    def __init__(self, ch):
        super().__init__()
        self.conv0 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.conv1(F.relu(self.conv0(F.relu(x))))


class ImpalaStack(nn.Module):
    """conv3x3 -> maxpool 3x3/2 pad 1 -> 2 residual blocks."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.res0 = ImpalaResBlock(out_ch)
        self.res1 = ImpalaResBlock(out_ch)

    def forward(self, x):
        return self.res1(self.res0(self.pool(self.conv(x))))


class ImpalaDqn(nn.Module):
    """IMPALA CNN (16, 32, 32) on 84x84x4 -> [B, 32, 11, 11]; relu, flatten (3872), Linear 512, relu, Linear."""

    def __init__(self, actions):
        super().__init__()
        self.s0, self.s1, self.s2 = ImpalaStack(4, 16), ImpalaStack(16, 32), ImpalaStack(32, 32)
        self.fc = nn.Linear(32 * 11 * 11, 512)
        self.head = nn.Linear(512, actions)

    def forward(self, x):
        x = F.relu(self.s2(self.s1(self.s0(x)))).flatten(1)
        return self.head(F.relu(self.fc(x)))


# name -> (network class, replay seed of the anchor workload)
WORKLOADS = {"dqn-train-b32": (NatureDqn, 11), "softmoe-train-b32": (SoftMoEDqn, 12), "impala-train-b32": (ImpalaDqn, 13)}


class Trainer:
    """The anchors' DqnTrainer.Step, with the replay sample uploaded from host memory every step."""

    def __init__(self, name, device, batch=32):
        net_class, seed = WORKLOADS[name]
        torch.manual_seed(1234)
        self.online = net_class(ACTIONS).to(device)
        self.target = net_class(ACTIONS).to(device)
        self.target.load_state_dict(self.online.state_dict())
        for p in self.target.parameters():
            p.requires_grad_(False)
        count = sum(p.numel() for p in self.online.parameters())
        if count != PARAMETERS[name]:
            sys.exit(f"pytorch_anchor: {name} has {count} parameters but the anchor has {PARAMETERS[name]}; "
                     "the definition no longer matches Models.cs.")
        self.opt = torch.optim.Adam(self.online.parameters(), lr=6.25e-5, betas=(0.9, 0.999), eps=1.5e-4)
        self.device = device
        g = torch.Generator().manual_seed(seed)
        # Host-side replay sample: uint8 frames [B, 4, 84, 84], int64 actions [B, 1], float rewards and 1 - done [B].
        self.states = torch.randint(0, 256, (batch, 4, 84, 84), dtype=torch.uint8, generator=g)
        self.next_states = torch.randint(0, 256, (batch, 4, 84, 84), dtype=torch.uint8, generator=g)
        self.actions = torch.randint(0, ACTIONS, (batch, 1), generator=g)
        self.rewards = torch.randint(-1, 2, (batch,), generator=g).float()
        self.not_done = (torch.rand(batch, generator=g) >= 0.02).float()

    def step(self):
        d = self.device
        self.opt.zero_grad()
        s = self.states.to(d).float().div_(255.0)
        ns = self.next_states.to(d).float().div_(255.0)
        actions, rewards, not_done = self.actions.to(d), self.rewards.to(d), self.not_done.to(d)
        q = self.online(s)                                                   # [B, A]
        qa = q.gather(1, actions).squeeze(1)                                 # [B]
        with torch.no_grad():
            y = rewards + GAMMA * not_done * self.target(ns).max(1).values   # [B]
        loss = F.huber_loss(qa, y, delta=1.0, reduction="mean")
        loss.backward()
        self.opt.step()
        return loss.item()


def measure(step, sync, smoke):
    """QuickRunner.Measure: warm-up, then time each step (synchronized); returns (median, min) in ms."""
    def timed():
        t0 = time.perf_counter()
        step()
        sync()
        return (time.perf_counter() - t0) * 1000.0

    if smoke:
        step()
        samples = sorted(timed() for _ in range(2))
    else:
        start, w = time.perf_counter(), 0
        while w < 5 or time.perf_counter() - start < 0.5:
            step()
            sync()
            w += 1
            if w >= 50 and time.perf_counter() - start >= 0.5:
                break
        samples, start = [], time.perf_counter()
        while len(samples) < 5000 and (len(samples) < 20 or time.perf_counter() - start < 3.0):
            samples.append(timed())
        samples.sort()
    n = len(samples)
    median = samples[n // 2] if n % 2 else 0.5 * (samples[n // 2 - 1] + samples[n // 2])
    return median, samples[0]


def num(ms):
    """QuickRunner.Num: the same digits as the C# lines."""
    return f"{ms:.1f}" if ms >= 100 else f"{ms:.3f}" if ms >= 1 else f"{ms:.5f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda:0", help="torch device (default cuda:0; 'cpu' for a dry run)")
    ap.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads (default all three)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (host threads; default 1)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN and cuBLAS (PyTorch's conv default)")
    ap.add_argument("--smoke", action="store_true", help="1 warm-up and 2 timed steps: checks it runs, times mean nothing")
    args = ap.parse_args()

    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        sys.exit(f"pytorch_anchor: unknown workload(s) {', '.join(unknown)}; available: {', '.join(WORKLOADS)}.")
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        sys.exit(f"pytorch_anchor: --device {args.device} but torch.cuda.is_available() is False "
                 f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); use --device cpu for a dry run.")
    torch.set_num_threads(args.threads)
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    sync = (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None)
    where = torch.cuda.get_device_name(device) if cuda else "host CPU"
    print(f"pytorch_anchor: torch {torch.__version__} on {args.device} ({where}), tf32={int(args.tf32)}", file=sys.stderr)
    if args.smoke:
        print("pytorch_anchor: --smoke: 1 warm-up and 2 timed steps; the times are MEANINGLESS.", file=sys.stderr)

    for name in names:
        trainer = Trainer(name, device)
        loss = trainer.step()
        if not math.isfinite(loss):
            sys.exit(f"pytorch_anchor: {name}: non-finite loss {loss}.")
        median, low = measure(trainer.step, sync, args.smoke)
        line = (f"workload={name} threads={args.threads} median_ms={num(median)} min_ms={num(low)} "
                f"steps_per_s={1000.0 / median:.1f} backend=torch-{args.device} tf32={int(args.tf32)}")
        print(line + (" smoke=1" if args.smoke else ""), flush=True)
        del trainer
        if cuda:
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
