#!/usr/bin/env python3
"""Writes a whole-model reference state of a tiny Switch language model (as llm.c's test_gpt2).

An independent PyTorch implementation of src/SwitchNative/Nn/SwitchLm.cs's architecture:
learned positions, pre-RMSNorm blocks of causal multi-head attention and an FFN (block 1 a
Switch layer, spec/switch-layer.md), final RMSNorm, tied LM head, mean cross-entropy plus the
Switch layer's aux and z losses. The file holds the config, the initial parameters, a batch,
the logits, the loss, every parameter gradient, and the losses of 5 AdamW steps.
Run with Debian's python3-torch:  python3 generate_switch_lm_state.py
"""
import json
import os

import torch
import torch.nn.functional as F

from generate_switch_layer_states import switch_layer, write_safetensors

CONFIG = dict(VocabularySize=50, ContextLength=8, ModelDim=16, LayerCount=2, HeadCount=2, FfnDim=24, SwitchEvery=2,
              ExpertCount=4, TopK=1, CapacityFactor=1.0, EvalCapacityFactor=1.0, MinCapacity=2, AuxLossCoefficient=0.01,
              ZLossCoefficient=0.001, JitterEpsilon=0.0, ExpertDropout=0.0, Dropout=0.0, Activation="Relu", Routing="TokenChoice",
              TiedEmbeddings=True, Positions="Learned", InitScale=0.1, NormEpsilon=1e-5)
BATCH, SEQUENCE, STEPS = 2, 8, 5
LEARNING_RATE, WEIGHT_DECAY = 1e-2, 0.1


def layout(c):
    v, s, d, f, e = c["VocabularySize"], c["ContextLength"], c["ModelDim"], c["FfnDim"], c["ExpertCount"]
    names = [("embedding.weight", (v, d)), ("position.weight", (s, d))]
    for layer in range(c["LayerCount"]):
        names += [(f"blocks.{layer}.attention.qkv.weight", (3 * d, d)), (f"blocks.{layer}.attention.proj.weight", (d, d))]
        if (layer + 1) % c["SwitchEvery"] == 0:
            names += [(f"blocks.{layer}.ffn.router.weight", (e, d)), (f"blocks.{layer}.ffn.experts.w1", (e, f, d)), (f"blocks.{layer}.ffn.experts.w2", (e, d, f))]
        else:
            names += [(f"blocks.{layer}.ffn.w1", (f, d)), (f"blocks.{layer}.ffn.w2", (d, f))]
    norms = [(f"blocks.{layer}.{n}", (d,)) for layer in range(c["LayerCount"]) for n in ("attention_norm.weight", "ffn_norm.weight")]
    return names, norms + [("final_norm.weight", (d,))]


def rms_norm(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def forward(p, tokens, targets, c):
    b, s = tokens.shape
    d, h = c["ModelDim"], c["HeadCount"]
    x = p["embedding.weight"][tokens] + p["position.weight"][:s].unsqueeze(0)
    aux_z = []
    for layer in range(c["LayerCount"]):
        n = rms_norm(x, p[f"blocks.{layer}.attention_norm.weight"], c["NormEpsilon"])
        q, k, v = (n @ p[f"blocks.{layer}.attention.qkv.weight"].t()).split(d, dim=-1)
        q, k, v = (t.view(b, s, h, d // h).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / (d // h) ** 0.5
        scores = scores.masked_fill(torch.triu(torch.ones(s, s, dtype=torch.bool), 1), float("-inf"))
        attended = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, s, d)
        x = x + attended @ p[f"blocks.{layer}.attention.proj.weight"].t()
        n = rms_norm(x, p[f"blocks.{layer}.ffn_norm.weight"], c["NormEpsilon"])
        if (layer + 1) % c["SwitchEvery"] == 0:
            prefix = f"blocks.{layer}.ffn."
            r = switch_layer(n.reshape(b * s, d), p[prefix + "router.weight"], p[prefix + "experts.w1"], p[prefix + "experts.w2"],
                             c["TopK"], c["CapacityFactor"], c["MinCapacity"], c["AuxLossCoefficient"], c["ZLossCoefficient"], "relu", 1)
            x = x + r["y"].view(b, s, d)
            aux_z.append(r["aux_loss"].sum() + r["z_loss"].sum())
        else:
            x = x + F.relu(n @ p[f"blocks.{layer}.ffn.w1"].t()) @ p[f"blocks.{layer}.ffn.w2"].t()
    x = rms_norm(x, p["final_norm.weight"], c["NormEpsilon"])
    logits = x @ p["embedding.weight"].t()
    loss = F.cross_entropy(logits.view(b * s, -1), targets.view(-1)) + sum(aux_z) / len(aux_z)
    return logits.view(b * s, -1), loss


def main():
    torch.manual_seed(7)
    decayed, norms = layout(CONFIG)
    params = {}
    for name, shape in decayed:
        params[name] = (torch.randn(*shape) * (CONFIG["InitScale"] / shape[-1]) ** 0.5 * 3).requires_grad_()
    for name, shape in norms:
        params[name] = (1 + 0.1 * torch.randn(*shape)).requires_grad_()
    tokens = torch.randint(0, CONFIG["VocabularySize"], (BATCH, SEQUENCE))
    targets = torch.randint(0, CONFIG["VocabularySize"], (BATCH, SEQUENCE))
    initial = {name: tensor.detach().clone() for name, tensor in params.items()}

    logits, loss = forward(params, tokens, targets, CONFIG)
    loss.backward()
    gradients = {"grad." + name: tensor.grad.clone() for name, tensor in params.items()}

    for tensor in params.values():
        tensor.grad = None
    optimizer = torch.optim.AdamW([{"params": [params[n] for n, _ in decayed], "weight_decay": WEIGHT_DECAY},
                                   {"params": [params[n] for n, _ in norms], "weight_decay": 0.0}],
                                  lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        _, step_loss = forward(params, tokens, targets, CONFIG)
        trajectory.append(step_loss.item())
        step_loss.backward()
        optimizer.step()

    tensors = dict(initial)
    tensors.update({"tokens": tokens.to(torch.int32), "targets": targets.to(torch.int32), "logits": logits.detach(),
                    "loss": loss.detach().reshape(1), "trajectory": torch.tensor(trajectory, dtype=torch.float32)})
    tensors.update(gradients)
    metadata = {"config": json.dumps(CONFIG), "batch": str(BATCH), "sequence": str(SEQUENCE), "steps": str(STEPS),
                "learning_rate": str(LEARNING_RATE), "weight_decay": str(WEIGHT_DECAY), "generator": "PyTorch " + torch.__version__}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated", "switch_lm_tiny.safetensors")
    write_safetensors(path, tensors, metadata)
    print(f"loss {loss.item():.6f}, trajectory {[round(v, 6) for v in trajectory]}")


if __name__ == "__main__":
    main()
