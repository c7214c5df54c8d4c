"""The caption adapters as PyTorch modules: the same strategies, parameter names and shapes as the Java
pipeline's ``adapter.safetensors``, so that an adapter trained in either can be served or studied in the other.

Each module maps CLIP features ``[B, tokens, d_vision]`` to a prefix ``[B, n, d_llm]`` for Qwen3's
``inputs_embeds``. Written for torch >= 1.13 (Debian's ``python3-torch``); ``safetensors`` is used when it is
installed, and a small reader/writer of the same format in this file otherwise.

    import caption_adapters as ca
    adapter = ca.load_adapter("runs/shapes/best")          # reads adapter.json + adapter.safetensors
    prefix = adapter(features)                              # [B, n, d_llm]

    spec = ca.spec("conv", vision_tokens=49, vision_dim=768, llm_hidden=1024, options={"kernel": 4})
    module = ca.build(spec)                                 # fresh weights, PyTorch's default init
    ... train it (frozen CLIP, frozen Qwen3, teacher forcing) ...
    ca.save_adapter(module, spec, "my-adapter")             # then: caption adapter import / serve
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "caption-adapter/1"
SPEC_FILE = "adapter.json"
WEIGHTS_FILE = "adapter.safetensors"
DEFAULT_PROMPT = ("<|im_start|>user\n{prefix}\nDescribe the image in one sentence.<|im_end|>\n"
                  "<|im_start|>assistant\n<think>\n\n</think>\n\n")


def spec(strategy, vision_tokens, vision_dim, llm_hidden, options=None, keep_cls=False, adapter_id=None,
         vision_model="unknown", llm_model="unknown", layer=-2):
    """An ``adapter.json`` document for a new adapter."""
    return {"format": FORMAT, "id": adapter_id or strategy, "strategy": strategy, "options": dict(options or {}),
            "vision": {"model": vision_model, "revision": "local", "layer": layer, "keepCls": keep_cls,
                       "tokens": vision_tokens, "dim": vision_dim},
            "llm": {"model": llm_model, "revision": "local", "hiddenSize": llm_hidden},
            "prompt": DEFAULT_PROMPT}


def _grid(tokens, keep_cls):
    patches = tokens - (1 if keep_cls else 0)
    g = int(round(math.sqrt(patches)))
    if g * g != patches:
        raise ValueError("needs a square patch grid, got %d patches" % patches)
    return g


class Mlp2xGelu(nn.Sequential):
    """LLaVA's mlp2x_gelu: Linear(d_in, d_out), GELU, Linear(d_out, d_out); keys 0.* and 2.*."""

    def __init__(self, d_in, d_out):
        super().__init__(nn.Linear(d_in, d_out), nn.GELU(), nn.Linear(d_out, d_out))


class MeanAdapter(nn.Module):
    """``mean``: the mean feature, one Linear to k * d_llm, viewed as k tokens. Option ``tokens`` (k, 1)."""

    def __init__(self, s):
        super().__init__()
        self.k = s["options"].get("tokens", 1)
        self.d_llm = s["llm"]["hiddenSize"]
        self.proj = nn.Linear(s["vision"]["dim"], self.k * self.d_llm)

    def forward(self, x):
        return self.proj(x.mean(dim=1)).view(x.shape[0], self.k, self.d_llm)


class AvgPoolAdapter(nn.Module):
    """``avgpool``: the patch grid through F.adaptive_avg_pool2d to grid x grid, then mlp2x_gelu. Option ``grid`` (3)."""

    def __init__(self, s):
        super().__init__()
        self.keep_cls = s["vision"]["keepCls"]
        self.g = _grid(s["vision"]["tokens"], self.keep_cls)
        self.s = s["options"].get("grid", 3)
        if not 1 <= self.s <= self.g:
            raise ValueError("avgpool grid %d must be between 1 and the patch grid %d" % (self.s, self.g))
        self.mlp = Mlp2xGelu(s["vision"]["dim"], s["llm"]["hiddenSize"])

    def forward(self, x):
        patches = x[:, 1:] if self.keep_cls else x
        b, _, d = patches.shape
        grid = patches.reshape(b, self.g, self.g, d).permute(0, 3, 1, 2)
        pooled = F.adaptive_avg_pool2d(grid, self.s).flatten(2).transpose(1, 2)      # [B, s*s, Dv]
        return self.mlp(pooled)


class ConvAdapter(nn.Module):
    """``conv``: relu(Conv1d(stride k)), Linear, relu(Conv1d(stride k)), Linear over the token axis.
    Options ``kernel`` (k = stride, 2) and ``width`` (hidden channels, d_llm)."""

    def __init__(self, s):
        super().__init__()
        k = s["options"].get("kernel", 2)
        d_llm = s["llm"]["hiddenSize"]
        width = s["options"].get("width", d_llm)
        if k < 1 or s["vision"]["tokens"] // k // k < 1:
            raise ValueError("conv kernel %d leaves no tokens of %d" % (k, s["vision"]["tokens"]))
        self.conv1 = nn.Conv1d(s["vision"]["dim"], width, k, stride=k)
        self.fc1 = nn.Linear(width, width)
        self.conv2 = nn.Conv1d(width, width, k, stride=k)
        self.fc2 = nn.Linear(width, d_llm)

    def forward(self, x):
        h = F.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2)
        h = self.fc1(h)
        h = F.relu(self.conv2(h.transpose(1, 2))).transpose(1, 2)
        return self.fc2(h)


def get_1d_sincos_pos_embed(embed_dim, pos):
    """MAE's 1D sin-cos embedding of positions ``pos`` [M]: [M, embed_dim] = cat(sin(pos * w), cos(pos * w))."""
    omega = torch.arange(embed_dim // 2, dtype=torch.float64) / (embed_dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = pos.reshape(-1).to(torch.float64)[:, None] * omega[None, :]
    return torch.cat([torch.sin(out), torch.cos(out)], dim=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=False):
    """MAE's 2D sin-cos embedding [grid_size**2 (+1), embed_dim]: half for each grid axis, a zero row for CLS."""
    grid_h = torch.arange(grid_size, dtype=torch.float64)
    grid_w = torch.arange(grid_size, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(grid_w, grid_h, indexing="xy"), dim=0)           # here w goes first
    emb_h = get_1d_sincos_pos_embed(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed(embed_dim // 2, grid[1])
    emb = torch.cat([emb_h, emb_w], dim=1)
    if cls_token:
        emb = torch.cat([torch.zeros(1, embed_dim, dtype=emb.dtype), emb], dim=0)
    return emb.float()


class CrossAttention(nn.Module):
    """Multi-head attention of queries over keys and values. q/v/o projections have biases; k_proj has none, as
    in Whisper: a key bias adds the same q.b to every score of a query, which softmax cancels."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width, bias=False)
        self.v_proj = nn.Linear(width, width)
        self.o_proj = nn.Linear(width, width)

    def forward(self, q, k, v):
        b, nq, w = q.shape
        dh = w // self.heads

        def split(t):
            return t.view(b, -1, self.heads, dh).transpose(1, 2)

        qh, kh, vh = split(self.q_proj(q)), split(self.k_proj(k)), split(self.v_proj(v))
        weights = torch.softmax(qh @ kh.transpose(2, 3) / math.sqrt(dh), dim=-1)
        return self.o_proj((weights @ vh).transpose(1, 2).reshape(b, nq, w))


class ResamplerLayer(nn.Module):
    """Pre-norm cross-attention and a GELU MLP (width -> 4 width -> width), both residual."""

    def __init__(self, width, heads):
        super().__init__()
        self.ln_q = nn.LayerNorm(width, eps=1e-6)
        self.attn = CrossAttention(width, heads)
        self.ln_mlp = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(width, 4 * width)
        self.mlp.fc2 = nn.Linear(4 * width, width)

    def forward(self, q, keys, values):
        q = q + self.attn(self.ln_q(q), keys, values)
        return q + self.mlp.fc2(F.gelu(self.mlp.fc1(self.ln_mlp(q))))


class ResamplerAdapter(nn.Module):
    """``resampler``: learned queries cross-attend to the projected, layer-normed tokens; fixed 2D sin-cos
    positions are added to the keys only (Qwen-VL). Options ``queries`` (16), ``layers`` (1), ``width`` (256),
    ``heads`` (4)."""

    def __init__(self, s):
        super().__init__()
        o = s["options"]
        queries, width = o.get("queries", 16), o.get("width", 256)
        heads, n = o.get("heads", 4), o.get("layers", 1)
        if width % heads != 0 or width % 4 != 0:
            raise ValueError("resampler width %d must be a multiple of 4 and of heads %d" % (width, heads))
        keep_cls = s["vision"]["keepCls"]
        self.query = nn.Parameter(torch.randn(queries, width) * 0.02)
        self.kv_proj = nn.Linear(s["vision"]["dim"], width, bias=False)
        self.ln_kv = nn.LayerNorm(width, eps=1e-6)
        self.layers = nn.ModuleList([ResamplerLayer(width, heads) for _ in range(n)])
        self.ln_post = nn.LayerNorm(width, eps=1e-6)
        self.proj = nn.Linear(width, s["llm"]["hiddenSize"])
        grid = _grid(s["vision"]["tokens"], keep_cls)
        self.register_buffer("pos_embed", get_2d_sincos_pos_embed(width, grid, keep_cls), persistent=False)

    def forward(self, x):
        kv = self.ln_kv(self.kv_proj(x))
        keys = kv + self.pos_embed
        q = self.query.unsqueeze(0).expand(x.shape[0], -1, -1)
        for layer in self.layers:
            q = layer(q, keys, kv)
        return self.proj(self.ln_post(q))


class MlpAdapter(nn.Module):
    """``mlp``: every token through mlp2x_gelu (LLaVA-1.5)."""

    def __init__(self, s):
        super().__init__()
        self.mlp = Mlp2xGelu(s["vision"]["dim"], s["llm"]["hiddenSize"])

    def forward(self, x):
        return self.mlp(x)


STRATEGIES = {"mean": MeanAdapter, "avgpool": AvgPoolAdapter, "conv": ConvAdapter, "resampler": ResamplerAdapter,
              "mlp": MlpAdapter}


def build(s):
    """A new module for the spec, with PyTorch's default initialisation."""
    if s["strategy"] not in STRATEGIES:
        raise ValueError("unknown adapter strategy '%s' (one of %s)" % (s["strategy"], ", ".join(STRATEGIES)))
    return STRATEGIES[s["strategy"]](s)


# --------------------------------------------------------------------------- safetensors

_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "F64": (torch.float64, 8)}


def read_safetensors(path):
    """name -> tensor; the ``safetensors`` package when installed, else this file's reader (F32/F16/F64)."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError("%s: dtype %s is not supported here" % (name, info["dtype"]))
        dtype, _ = _DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        raw = bytearray(data[8 + n + start:8 + n + end])
        out[name] = torch.frombuffer(raw, dtype=dtype).reshape(info["shape"]).clone() if raw else \
            torch.zeros(info["shape"], dtype=dtype)
    return out


def write_safetensors(tensors, path, metadata=None):
    """Writes name -> tensor as fp32 safetensors; the ``safetensors`` package when installed."""
    tensors = {k: v.detach().to(torch.float32).contiguous().cpu() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata=metadata)
        return
    except ImportError:
        pass
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in sorted(tensors):
        blob = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_adapter(directory):
    """Reads ``adapter.json`` and ``adapter.safetensors`` from ``directory``: the module, in eval mode, with every
    key checked (missing, unexpected and mis-shaped keys are all named)."""
    with open(os.path.join(directory, SPEC_FILE)) as f:
        s = json.load(f)
    if s.get("format") != FORMAT:
        raise ValueError("%s: format %r, not %s" % (directory, s.get("format"), FORMAT))
    module = build(s)
    weights = read_safetensors(os.path.join(directory, WEIGHTS_FILE))
    if s["strategy"] == "resampler":       # an older layout's key bias, which changes no output
        weights = {k: v for k, v in weights.items() if not k.endswith(".attn.k_proj.bias")}
    expected = module.state_dict()
    problems = ["missing %s %s" % (k, list(v.shape)) for k, v in expected.items() if k not in weights]
    problems += ["unexpected %s" % k for k in weights if k not in expected]
    problems += ["%s has shape %s, the %s adapter needs %s" % (k, list(weights[k].shape), s["strategy"],
                                                              list(v.shape))
                 for k, v in expected.items() if k in weights and tuple(weights[k].shape) != tuple(v.shape)]
    if problems:
        raise ValueError("%s does not fit a %s adapter: %s" % (directory, s["strategy"], "; ".join(problems)))
    module.load_state_dict(weights)
    module.spec = s
    return module.eval()


def save_adapter(module, s, directory):
    """Writes ``adapter.safetensors`` and ``adapter.json``: a directory ``caption adapter import`` or the
    adapter-service takes."""
    os.makedirs(directory, exist_ok=True)
    write_safetensors(module.state_dict(), os.path.join(directory, WEIGHTS_FILE),
                      {"format": "pt", "adapter_id": str(s["id"]), "strategy": s["strategy"]})
    with open(os.path.join(directory, SPEC_FILE), "w") as f:
        json.dump(s, f, indent=2)
