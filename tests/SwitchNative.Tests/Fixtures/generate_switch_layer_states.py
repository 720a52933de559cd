#!/usr/bin/env python3
"""Writes Switch-layer reference states in the fixtures' safetensors format.

A plain PyTorch implementation of spec/switch-layer.md (float32; the router product in double),
independent of the C# code, used to produce cases the shared fixtures do not cover. Run with
Debian's python3-torch:  python3 generate_switch_layer_states.py  (writes into generated/).
"""
import json
import os
import struct

import torch
import torch.nn.functional as F

CASES = {
    # name: tokens, d_model, d_ff, experts, top_k, capacity_factor, min_capacity, aux, z, activation, renormalize, seed
    "top3_gelu_raw_gates": (50, 20, 36, 6, 3, 1.0, 2, 0.01, 0.001, "gelu", 0, 21),
    "top1_tiny_capacity": (45, 12, 20, 7, 1, 0.3, 3, 0.02, 0.0, "relu", 1, 22),
    "top2_dropless_renorm": (33, 16, 24, 5, 2, 0.0, 4, 0.01, 0.001, "relu", 1, 23),
}


def switch_layer(x, router, w1, w2, top_k, capacity_factor, min_capacity, aux_coef, z_coef, activation, renormalize):
    tokens, _ = x.shape
    experts = router.shape[0]
    logits = (x.double() @ router.double().t()).float()
    probs = torch.softmax(logits, dim=-1)
    # Top-k in descending order, ties to the lower index: a stable sort of −p.
    order = torch.sort(-probs.detach(), dim=-1, stable=True).indices[:, :top_k]
    chosen = probs.gather(1, order)
    gates = chosen / chosen.sum(-1, keepdim=True) if (top_k > 1 and renormalize) else chosen
    assigned = torch.bincount(order.reshape(-1), minlength=experts)
    if capacity_factor > 0:
        capacity = min(tokens, max(min_capacity, int(capacity_factor * top_k * tokens / experts)))
    else:
        capacity = int(assigned.max())
    kept = torch.zeros(tokens, top_k, dtype=torch.int32)
    slot = torch.full((tokens, top_k), -1, dtype=torch.int32)
    fill = [0] * experts
    for j in range(top_k):
        for t in range(tokens):
            e = int(order[t, j])
            if fill[e] < capacity:
                kept[t, j] = 1
                slot[t, j] = fill[e]
                fill[e] += 1
    y = torch.zeros_like(x)
    act = (lambda a: F.relu(a)) if activation == "relu" else (lambda a: F.gelu(a, approximate="tanh"))
    for e in range(experts):
        rows = [(t, j) for t in range(tokens) for j in range(top_k) if kept[t, j] == 1 and int(order[t, j]) == e]
        if not rows:
            continue
        token_index = torch.tensor([t for t, _ in rows])
        gate = torch.stack([gates[t, j] for t, j in rows]).unsqueeze(1)
        out = act(x[token_index] @ w1[e].t()) @ w2[e].t()
        y = y.index_add(0, token_index, gate * out)
    first = torch.bincount(order[:, 0], minlength=experts).to(torch.float32) / tokens
    aux = aux_coef * experts * (first * probs.mean(0)).sum()
    z = z_coef * (torch.logsumexp(logits, dim=-1) ** 2).mean()
    return dict(logits=logits, probs=probs, expert_index=order.to(torch.int32), gates=gates, kept=kept, slot=slot,
                y=y, aux_loss=aux.reshape(1), z_loss=z.reshape(1), capacity=capacity, dropped=int((kept == 0).sum()))


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int32: "I32"}[tensor.dtype]
        data = tensor.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as stream:
        stream.write(struct.pack("<Q", len(encoded)))
        stream.write(encoded)
        for blob in blobs:
            stream.write(blob)


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated")
    os.makedirs(here, exist_ok=True)
    for name, (tokens, d, f, experts, k, cf, min_cap, aux, z, activation, renorm, seed) in CASES.items():
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(tokens, d, generator=generator).requires_grad_()
        router = (0.5 * torch.randn(experts, d, generator=generator)).requires_grad_()
        w1 = (torch.randn(experts, f, d, generator=generator) / d ** 0.5).requires_grad_()
        w2 = (torch.randn(experts, d, f, generator=generator) / f ** 0.5).requires_grad_()
        grad_y = torch.randn(tokens, d, generator=generator)
        result = switch_layer(x, router, w1, w2, k, cf, min_cap, aux, z, activation, renorm)
        loss = (result["y"] * grad_y).sum() + result["aux_loss"].sum() + result["z_loss"].sum()
        loss.backward()
        tensors = {"x": x, "router.weight": router, "experts.w1": w1, "experts.w2": w2, "grad_y": grad_y}
        tensors.update({key: result[key] for key in ("y", "probs", "logits", "expert_index", "gates", "kept", "slot", "aux_loss", "z_loss")})
        tensors.update({"loss": loss.reshape(1), "grad.x": x.grad, "grad.router.weight": router.grad, "grad.experts.w1": w1.grad, "grad.experts.w2": w2.grad})
        metadata = {"tokens": str(tokens), "d_model": str(d), "d_ff": str(f), "num_experts": str(experts), "top_k": str(k),
                    "capacity_factor": str(cf), "min_capacity": str(min_cap), "capacity": str(result["capacity"]),
                    "aux_loss_coef": str(aux), "z_loss_coef": str(z), "activation": activation, "renormalize": str(renorm),
                    "dropped": str(result["dropped"]), "seed": str(seed), "generator": "PyTorch " + torch.__version__}
        write_safetensors(os.path.join(here, name + ".safetensors"), tensors, metadata)
        print(f"{name}: capacity {result['capacity']}, dropped {result['dropped']}")


if __name__ == "__main__":
    main()
