"""Hugging Face sequence-classification models as a classifier plug-in (``transformers``).

Settings (``classifiers.transformers`` in ``config/classifiers.yaml``)::

    model: /models/xlmr-hate        # local directory, or a hub id already in the local cache
    labels:                         # model label → category, or → category and sub-label
      HATE: hate_speech
      hate_religion: {category: hate_speech, label: religion}
      VIOLENCE: violence_report
    threshold: 0.5                  # a category scoring at least this is a hit
    label_threshold: 0.3            # sub-labels scoring at least this go into CategoryHit.labels
    calibration:                    # optional, per language (or 'any'): p' = σ(slope·logit(p) + intercept)
      fr: {slope: 1.0, intercept: -0.4}
    batch_size: 32
    max_length: 256                 # tokens; longer texts are truncated
    device: cpu                     # or cuda, cuda:0, mps
    torch_threads: null             # intra-op threads (process-wide); null leaves torch's default
    runtime: torch                  # or onnx (needs onnx + onnxruntime; exported at load)
    quantize: none                  # or int8: dynamic int8 of the Linear layers, CPU only
    onnx_cache: null                # keep ONNX exports here so a restart skips the export
    local_files_only: true          # never download at run time (false lets the hub fill the cache)
    revision: null

A model's category score is the sum of the probabilities of the labels mapped to
it when the model is single-label (softmax: the labels exclude each other), and
their maximum when the model is multi-label (``problem_type:
multi_label_classification``, sigmoid). Sub-labels get their own label's
probability.

:class:`TransformerModel` is the runtime shared with the zero-shot plug-in
(:mod:`processors.classifiers.zeroshot`): it loads once, batches by length (less
padding), and holds a lock around tokenizer and model, so ``classify`` is
synchronous and safe to call from the executor threads the pipeline runs the
Enricher in. transformers and torch are imported only when a plug-in is built,
so the default keyword path never pays for them; a missing package or an
unloadable model fails the build with :class:`ClassifierConfigError`, before
the stream starts.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from processors.categories import ANY_LANGUAGE, KeywordCategories
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.registry import register
from tocsin.schema import CategoryHit


class Calibration(BaseModel):
    """Platt scaling of a category score for one language, fitted on held-out data of that language."""

    model_config = ConfigDict(extra="forbid")

    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, probability: float) -> float:
        p = min(max(probability, 1e-6), 1 - 1e-6)
        return 1.0 / (1.0 + math.exp(-(self.slope * math.log(p / (1 - p)) + self.intercept)))


class ModelSettings(BaseModel):
    """How to load and run a model; shared by the ``transformers`` and ``zeroshot`` plug-ins."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(min_length=1)
    revision: str | None = None
    local_files_only: bool = True
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    calibration: dict[str, Calibration] = Field(default_factory=dict)
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=256, ge=8)
    device: str = "cpu"
    torch_threads: int | None = Field(default=None, ge=1)
    runtime: Literal["torch", "onnx"] = "torch"
    quantize: Literal["none", "int8"] = "none"
    onnx_cache: Path | None = None

    def calibrated(self, score: float, lang: str) -> float:
        calibration = self.calibration.get(lang) or self.calibration.get(ANY_LANGUAGE)
        return calibration.apply(score) if calibration else score

    @property
    def variant(self) -> str:
        """What, besides the weights, changes the scores: part of the classifier version."""
        parts = [part for part in (self.runtime if self.runtime != "torch" else "",
                                   self.quantize if self.quantize != "none" else "") if part]
        return f"+{'-'.join(parts)}" if parts else ""


class LabelTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1)
    label: str | None = Field(default=None, min_length=1, description="sub-label, e.g. a targeted group")


class TransformersSettings(ModelSettings):
    labels: dict[str, str | LabelTarget] = Field(min_length=1)
    label_threshold: float = Field(default=0.3, ge=0.0, le=1.0)

    def targets(self) -> dict[str, LabelTarget]:
        return {name: LabelTarget(category=target) if isinstance(target, str) else target
                for name, target in self.labels.items()}


def parse_settings(kind: type[ModelSettings], config: Mapping[str, Any], source: Path,
                   plugin: str) -> Any:
    """Validate a plug-in's mapping; the error names the file and the key."""
    try:
        return kind.model_validate(dict(config))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise ClassifierConfigError(f"{source}: key 'classifiers.{plugin}.{key}': {error['msg']}") from exc


def check_categories(wanted: dict[str, str], categories: KeywordCategories, source: Path) -> None:
    """``wanted`` maps the config key that names a category to the category."""
    for key, category in wanted.items():
        if category not in categories.names:
            raise ClassifierConfigError(
                f"{source}: key '{key}': category {category!r} is not defined "
                f"(defined: {', '.join(categories.names)})")


class TransformerModel:
    """A loaded model and tokenizer: batched, length-sorted, locked inference returning logits.

    ``torch_threads`` sets torch's intra-op threads for the whole process (torch
    has no per-model setting); an ONNX session gets its own thread count.
    """

    def __init__(self, settings: ModelSettings, source: Path, plugin: str) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._torch, self._tokenizer, model = _load(settings, source, plugin)
        config = model.config
        self.id2label: dict[int, str] = {int(i): str(label) for i, label in config.id2label.items()}
        self.multi_label = getattr(config, "problem_type", None) == "multi_label_classification"
        self.input_names = [name for name in self._tokenizer.model_input_names
                            if name in ("input_ids", "attention_mask", "token_type_ids")]
        self._session: Any = None
        self._model: Any = None
        if settings.runtime == "onnx":
            self._session = _onnx_session(settings, model, self._tokenizer, self.input_names, source, plugin)
        elif settings.quantize == "int8":
            self._model = quantize_int8(self._torch, model)
        else:
            self._model = model
        self.name = Path(settings.model.rstrip("/")).name + (f"@{settings.revision}" if settings.revision
                                                              else "") + settings.variant

    def logits(self, first: Sequence[str], second: Sequence[str] | None = None) -> np.ndarray:
        """Logits, one row per text (or text pair), in input order; float32."""
        count = len(first)
        out = np.zeros((count, len(self.id2label)), dtype=np.float32)
        if not count:
            return out
        order = sorted(range(count), key=lambda i: len(first[i]) + (len(second[i]) if second else 0))
        size = self.settings.batch_size
        with self._lock:
            for start in range(0, count, size):
                chunk = order[start:start + size]
                out[chunk] = self._forward([first[i] or " " for i in chunk],
                                           [second[i] for i in chunk] if second is not None else None)
        return out

    def _forward(self, first: list[str], second: list[str] | None) -> np.ndarray:
        # A pair's hypothesis is never cut: only the text is truncated.
        truncation = "only_first" if second is not None else True
        tensors = "np" if self._session is not None else "pt"
        encoded = self._tokenizer(first, second, truncation=truncation, max_length=self.settings.max_length,
                                  padding=True, return_tensors=tensors)
        if self._session is not None:
            feed = {name: encoded[name].astype(np.int64) for name in self.input_names}
            result: np.ndarray = self._session.run(["logits"], feed)[0]
            return result
        torch = self._torch
        inputs = {name: encoded[name].to(self.settings.device) for name in self.input_names}
        with torch.inference_mode():
            logits = self._model(**inputs).logits
        converted: np.ndarray = logits.float().cpu().numpy()
        return converted

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        if self.multi_label:
            result: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
            return result
        return softmax(logits)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return result


def quantize_int8(torch: Any, model: Any) -> Any:
    """Dynamic int8 quantisation of the Linear layers (weights int8, activations quantised per batch)."""
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _load(settings: ModelSettings, source: Path, plugin: str) -> tuple[Any, Any, Any]:
    try:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise ClassifierConfigError(
            f"{source}: classifier {plugin!r} needs the packages transformers and torch "
            f"(pip install transformers torch): {exc}") from exc
    if settings.quantize == "int8" and settings.device != "cpu":
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.{plugin}.quantize': int8 runs on the CPU only, "
            f"not on device {settings.device!r}")
    if settings.runtime == "onnx" and settings.device != "cpu":
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.{plugin}.runtime': the onnx runtime is set up for the CPU only, "
            f"not device {settings.device!r}")
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    try:
        options = {"local_files_only": settings.local_files_only, "revision": settings.revision}
        tokenizer = AutoTokenizer.from_pretrained(settings.model, **options)
        model = AutoModelForSequenceClassification.from_pretrained(settings.model, **options)
        model.eval()
        model.to(settings.device)
    except Exception as exc:  # OSError (not found), ValueError (not a classifier), RuntimeError (device)
        raise ClassifierConfigError(
            f"{source}: classifier {plugin!r} cannot load model {settings.model!r}"
            f"{' from local files only' if settings.local_files_only else ''}: {exc}") from exc
    return torch, tokenizer, model


def _onnx_session(settings: ModelSettings, model: Any, tokenizer: Any, input_names: list[str],
                  source: Path, plugin: str) -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.{plugin}.runtime': onnx needs the packages onnx and onnxruntime "
            f"(pip install 'tocsin[onnx]'): {exc}") from exc
    key = hashlib.sha256(repr((str(Path(settings.model).resolve()) if Path(settings.model).exists()
                               else settings.model, settings.revision, settings.quantize,
                               input_names)).encode()).hexdigest()[:16]
    scratch = None
    if settings.onnx_cache is not None:
        directory = settings.onnx_cache / f"{Path(settings.model.rstrip('/')).name}-{key}"
    else:
        scratch = directory = Path(tempfile.mkdtemp(prefix="tocsin-onnx-"))
    target = directory / ("model-int8.onnx" if settings.quantize == "int8" else "model.onnx")
    try:
        if not target.is_file():
            directory.mkdir(parents=True, exist_ok=True)
            export_onnx(model, tokenizer, input_names, directory / "model.onnx")
            if settings.quantize == "int8":
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(str(directory / "model.onnx"), str(target), weight_type=QuantType.QInt8)
        options = onnxruntime.SessionOptions()
        if settings.torch_threads:
            options.intra_op_num_threads = settings.torch_threads
        options.log_severity_level = 3
        # Idle ONNX Runtime threads otherwise spin for a while after each batch, taking
        # CPU from the rest of the worker (keywords, places, the event loop).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return onnxruntime.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
    except ClassifierConfigError:
        raise
    except Exception as exc:
        raise ClassifierConfigError(
            f"{source}: key 'classifiers.{plugin}.runtime': cannot export {settings.model!r} to ONNX "
            f"or load it: {exc}") from exc
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def export_onnx(model: Any, tokenizer: Any, input_names: list[str], path: Path) -> None:
    """TorchScript-based export with dynamic batch and sequence axes; needs the onnx package."""
    import torch

    sample = tokenizer(["an example", "a second, longer example text"], padding=True, return_tensors="pt")
    args = tuple(sample[name] for name in input_names)
    axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    axes["logits"] = {0: "batch"}

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(input_names, inputs, strict=True))).logits

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits().eval(), args, str(path), input_names=input_names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


@register("transformers")
class TransformersClassifier:
    """A fine-tuned classifier whose labels map to categories and sub-labels."""

    name = "transformers"
    config_model = TransformersSettings

    def __init__(self, settings: TransformersSettings, model: TransformerModel) -> None:
        self.settings = settings
        self.model = model
        self.version = model.name
        self._classifier = f"{self.name}/{self.version}"
        targets = settings.targets()
        label2id = {label: index for index, label in model.id2label.items()}
        # (logit column, category, sub-label)
        self._columns = [(label2id[label], target.category, target.label)
                         for label, target in targets.items()]
        self.categories = frozenset(target.category for target in targets.values())

    @classmethod
    def from_config(cls, config: Mapping[str, Any], categories: KeywordCategories,
                    source: Path) -> TransformersClassifier:
        settings: TransformersSettings = parse_settings(TransformersSettings, config, source, cls.name)
        check_categories({f"classifiers.{cls.name}.labels.{label}": target.category
                          for label, target in settings.targets().items()}, categories, source)
        model = TransformerModel(settings, source, cls.name)
        known = set(model.id2label.values())
        missing = sorted(set(settings.labels) - known)
        if missing:
            raise ClassifierConfigError(
                f"{source}: key 'classifiers.{cls.name}.labels.{missing[0]}': the model "
                f"{settings.model!r} has no such label (it has: {', '.join(sorted(known))})")
        return cls(settings, model)

    def classify(self, texts: Sequence[ItemText]) -> list[dict[str, CategoryHit]]:
        if not texts:
            return []
        settings = self.settings
        probabilities = self.model.probabilities(self.model.logits([text.text for text in texts]))
        results: list[dict[str, CategoryHit]] = []
        for text, row in zip(texts, probabilities, strict=True):
            scores: dict[str, float] = {}
            labels: dict[str, dict[str, float]] = {}
            for column, category, label in self._columns:
                probability = float(row[column])
                if self.model.multi_label:
                    scores[category] = max(scores.get(category, 0.0), probability)
                else:
                    scores[category] = scores.get(category, 0.0) + probability
                if label is not None and probability >= settings.label_threshold:
                    labels.setdefault(category, {})[label] = round(probability, 4)
            hits: dict[str, CategoryHit] = {}
            for category, raw in scores.items():
                score = min(max(settings.calibrated(raw, text.lang), 0.0), 1.0)
                if score >= settings.threshold:
                    hits[category] = CategoryHit(score=round(score, 4), classifier=self._classifier,
                                                 labels=labels.get(category, {}))
            results.append(hits)
        return results
