#!/usr/bin/env python3
"""The Switch layer written the way a PyTorch user would, for side-by-side timing.

Top-1 routing with capacity, scattered into capacity-padded expert buffers [E, C, d], two
batched matmuls (torch.bmm), gathered back and gate-weighted; load-balancing and z losses;
backward by autograd. Prints one JSON object with the median milliseconds of forward+backward.
Needs Debian's python3-torch.
"""
import argparse
import json
import time

import torch


def switch_step(x, router, w1, w2, capacity_factor, aux_coef=1e-2, z_coef=1e-3):
    tokens, _ = x.shape
    experts = router.shape[0]
    capacity = min(tokens, max(4, int(capacity_factor * tokens / experts)))
    logits = x @ router.t()
    probs = torch.softmax(logits, dim=-1)
    gate, expert = probs.max(dim=-1)
    # Slot of each token in its expert: running count of earlier tokens sent there.
    one_hot = torch.nn.functional.one_hot(expert, experts)
    position = (torch.cumsum(one_hot, dim=0) * one_hot).sum(-1) - 1
    kept = position < capacity
    buffer = x.new_zeros(experts, capacity, x.shape[1])
    buffer = buffer.index_put((expert[kept], position[kept]), x[kept])
    hidden = torch.relu(torch.bmm(buffer, w1.transpose(1, 2)))
    out = torch.bmm(hidden, w2.transpose(1, 2))
    y = x.new_zeros(x.shape)
    y = y.index_put((kept.nonzero().squeeze(1),), out[expert[kept], position[kept]] * gate[kept].unsqueeze(1))
    fraction = one_hot.float().mean(0)
    aux = aux_coef * experts * (fraction * probs.mean(0)).sum()
    z = z_coef * (torch.logsumexp(logits, dim=-1) ** 2).mean()
    return y, aux + z


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, required=True)
    parser.add_argument("--d-model", type=int, required=True)
    parser.add_argument("--d-ff", type=int, required=True)
    parser.add_argument("--experts", type=int, required=True)
    parser.add_argument("--capacity-factor", type=float, default=1.25)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    d, f, e = args.d_model, args.d_ff, args.experts
    x = torch.randn(args.tokens, d, generator=generator).requires_grad_()
    router = (0.02 * torch.randn(e, d, generator=generator)).requires_grad_()
    w1 = (torch.randn(e, f, d, generator=generator) / d ** 0.5).requires_grad_()
    w2 = (torch.randn(e, d, f, generator=generator) / f ** 0.5).requires_grad_()
    grad_y = torch.randn(args.tokens, d, generator=generator)
    samples = []
    for repeat in range(args.repeats + 1):
        start = time.perf_counter()
        y, losses = switch_step(x, router, w1, w2, args.capacity_factor)
        ((y * grad_y).sum() + losses).backward()
        elapsed = time.perf_counter() - start
        if repeat > 0:
            samples.append(elapsed * 1000)
    samples.sort()
    print(json.dumps({"median_ms": samples[len(samples) // 2], "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
