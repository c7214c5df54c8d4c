"""Writes the reference fixtures that the Java adapter tests compare with, computed by caption_adapters.py.

    apt-get install python3-torch python3-numpy        # Debian's torch 1.13 is enough
    python3 python/make_fixtures.py caption-nn/src/test/resources/fixtures/adapters-torch

For every case (each strategy at two or more option settings) a directory holds:
  adapter.json, adapter.safetensors   the adapter as save_adapter writes it (random weights)
  reference.safetensors               features [B, T, Dv], output = module(features), upstream [B, n, Dl],
                                      grad.<key> = d sum(output * upstream) / d <key>,
                                      adamw.<key> = <key> after one torch.optim.AdamW step on those gradients,
                                      and, where the strategy has them, pooled (adaptive_avg_pool2d) or pos_embed.
cases.json lists the cases and the AdamW hyperparameters. import-conv-k4/ holds bare weights (a state_dict, no
adapter.json) sized for the clip-tiny and qwen3-shapes fixtures, with their output, for `caption adapter import`;
service-conv/ is an adapter for the adapter-service test's features, with its output.

With --java-adapter DIR (an adapter that `caption train` wrote), it also loads that adapter with load_adapter, runs
it on seeded features and writes a copy of the adapter with java-trained/reference.safetensors: the other direction.
"""
import argparse
import json
import os
import shutil
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caption_adapters as ca  # noqa: E402

ADAMW = {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1}
BATCH = 2

# name, strategy, vision tokens, vision dim, llm hidden, keep CLS, options
CASES = [
    ("mean-1", "mean", 16, 8, 12, False, {}),
    ("mean-3", "mean", 50, 8, 12, True, {"tokens": 3}),
    ("avgpool-7to3", "avgpool", 49, 8, 12, False, {"grid": 3}),
    ("avgpool-7to2-cls", "avgpool", 50, 8, 12, True, {"grid": 2}),
    ("avgpool-16to3", "avgpool", 256, 4, 6, False, {"grid": 3}),
    ("conv-k2", "conv", 16, 8, 12, False, {}),
    ("conv-k3-w6", "conv", 50, 8, 12, True, {"kernel": 3, "width": 6}),
    ("resampler-1layer", "resampler", 16, 8, 12, False, {"queries": 4, "width": 16, "heads": 4}),
    ("resampler-2layers-cls", "resampler", 50, 8, 12, True, {"queries": 3, "width": 8, "heads": 2, "layers": 2}),
    ("mlp", "mlp", 16, 8, 12, False, {}),
    ("mlp-cls", "mlp", 17, 6, 10, True, {}),
]


def randomise(module, gen):
    """Weights away from the default init, so that every parameter matters: N(0, 0.3²), and LayerNorm weights
    around 1."""
    with torch.no_grad():
        for m in module.modules():
            for name, p in m.named_parameters(recurse=False):
                noise = torch.randn(p.shape, generator=gen) * 0.3
                p.copy_(1 + noise if isinstance(m, torch.nn.LayerNorm) and name == "weight" else noise)


def write_case(out, name, strategy, tokens, dim, hidden, keep_cls, options, seed):
    gen = torch.Generator().manual_seed(seed)
    s = ca.spec(strategy, tokens, dim, hidden, options, keep_cls, adapter_id="torch-" + name,
                vision_model="fixture-vision", llm_model="fixture-llm")
    module = ca.build(s)
    randomise(module, gen)
    directory = os.path.join(out, name)
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    ca.save_adapter(module, s, directory)

    features = torch.randn(BATCH, tokens, dim, generator=gen)
    output = module(features)
    upstream = torch.randn(output.shape, generator=gen)
    module.zero_grad()
    (output * upstream).sum().backward()
    reference = {"features": features, "output": output.detach(), "upstream": upstream}
    for key, p in module.named_parameters():
        reference["grad." + key] = p.grad.detach().clone()
    if strategy == "avgpool":
        patches = features[:, 1:] if keep_cls else features
        g = module.g
        grid = patches.reshape(BATCH, g, g, dim).permute(0, 3, 1, 2)
        reference["pooled"] = F.adaptive_avg_pool2d(grid, module.s).flatten(2).transpose(1, 2)
    if strategy == "resampler":
        reference["pos_embed"] = module.pos_embed
    optimizer = torch.optim.AdamW(module.parameters(), lr=ADAMW["lr"], betas=tuple(ADAMW["betas"]), eps=ADAMW["eps"],
                                  weight_decay=ADAMW["weight_decay"])
    optimizer.step()
    for key, p in module.named_parameters():
        reference["adamw." + key] = p.detach().clone()
    ca.write_safetensors(reference, os.path.join(directory, "reference.safetensors"))
    return {"name": name, "strategy": strategy, "options": options, "prefix_tokens": int(output.shape[1]),
            "parameters": sum(p.numel() for p in module.parameters())}


def write_bare_weights(out, seed):
    """What a PyTorch user has after training: only save_file(module.state_dict()), no adapter.json. Sized for the
    clip-tiny and qwen3-shapes fixtures, so that `caption adapter import` can take it with those checkpoints."""
    gen = torch.Generator().manual_seed(seed)
    s = ca.spec("conv", 16, 48, 64, {"kernel": 4})
    module = ca.build(s)
    randomise(module, gen)
    directory = os.path.join(out, "import-conv-k4")
    os.makedirs(directory, exist_ok=True)
    ca.write_safetensors(module.state_dict(), os.path.join(directory, "weights.safetensors"))
    features = torch.randn(BATCH, 16, 48, generator=gen)
    with torch.no_grad():
        output = module(features)
    ca.write_safetensors({"features": features, "output": output}, os.path.join(directory, "reference.safetensors"))
    return {"name": "import-conv-k4", "strategy": "conv", "options": {"kernel": 4}}


def write_service_case(out, seed):
    """An adapter as save_adapter writes it, for the adapter-service test's features (clip-tiny-test [16 x 48] into
    qwen3-tiny, hidden 32). The features are rounded to fp16, as they travel on the wire."""
    gen = torch.Generator().manual_seed(seed)
    s = ca.spec("conv", 16, 48, 32, {"kernel": 2}, adapter_id="python-conv", vision_model="clip-tiny-test",
                llm_model="qwen3-tiny")
    module = ca.build(s)
    randomise(module, gen)
    directory = os.path.join(out, "service-conv")
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    ca.save_adapter(module, s, directory)
    features = torch.randn(BATCH, 16, 48, generator=gen).half().float()
    with torch.no_grad():
        output = module(features)
    ca.write_safetensors({"features": features, "output": output}, os.path.join(directory, "reference.safetensors"))
    return {"name": "service-conv", "strategy": "conv", "options": {"kernel": 2}}


def write_java_trained(out, java_dir, seed):
    """The other direction: an adapter `caption train` wrote, loaded by load_adapter, on seeded features."""
    module = ca.load_adapter(java_dir)
    s = module.spec
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(BATCH, s["vision"]["tokens"], s["vision"]["dim"], generator=gen)
    with torch.no_grad():
        output = module(features)
    directory = os.path.join(out, "java-trained")
    os.makedirs(directory, exist_ok=True)
    for f in (ca.SPEC_FILE, ca.WEIGHTS_FILE):                # the Java test loads this very copy
        shutil.copyfile(os.path.join(java_dir, f), os.path.join(directory, f))
    ca.write_safetensors({"features": features, "output": output}, os.path.join(directory, "reference.safetensors"))
    return {"adapter_id": s["id"], "strategy": s["strategy"], "prefix_tokens": int(output.shape[1])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the fixtures directory")
    parser.add_argument("--java-adapter", help="an adapter directory written by caption train")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    cases = [write_case(args.out, *case, seed=1000 + i) for i, case in enumerate(CASES)]
    index = {"torch": torch.__version__, "adamw": ADAMW, "batch": BATCH, "cases": cases,
             "bare_weights": write_bare_weights(args.out, seed=55), "service": write_service_case(args.out, seed=66)}
    if args.java_adapter:
        index["java_trained"] = write_java_trained(args.out, args.java_adapter, seed=77)
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(index, f, indent=2)
    print("wrote %d cases%s to %s" % (len(cases), " and the java-trained check" if args.java_adapter else "", args.out))


if __name__ == "__main__":
    main()
