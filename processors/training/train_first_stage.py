"""Train the first-stage n-gram model from the training files in ``shared/data/hate``.

    python -m processors.training.train_first_stage --shared ../shared --out models/first-stage

Reads Davidson 2017 and MLMA en/fr/ar (never the HateCheck / MHC evaluation
files), splits them 70 / 15 / 15 into train / calibration / test by a hash of
each normalised text (:mod:`processors.training.datasets`), fits the linear
model on the train part with PyTorch (``EmbeddingBag`` in mean mode over the
hashed n-gram rows of :class:`~processors.classifiers.ngram.Features`: a
multinomial logistic regression for hate_speech / offensive / neither plus one
for the targeted group, trained together), quantises it to int8, fits Platt
calibration per language (and pooled) on the calibration part, and measures
the quantised, calibrated model on the test part. Writes ``model.npz`` and
``metrics.json`` into ``--out`` and prints the held-out table.

Reproducible: the split is a hash, the model starts at zero, shuffling uses a
seeded generator, and PyTorch runs single-threaded with deterministic
algorithms, so the same data and arguments give the same file.

Hyper-parameters (defaults below) were chosen by their held-out average
precision on the calibration part, never on the evaluation files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from processors.classifiers.ngram import (
    CALIBRATED,
    CLASSES,
    COLUMNS,
    HATE,
    OFFENSIVE,
    POOLED,
    TARGETS,
    Features,
    NgramModel,
    Platt,
    quantise,
)
from processors.evaluation.classify import binary_report
from processors.training.calibrate import CalibrationError, fit_platt
from processors.training.datasets import Example, read_training, split
from processors.training.ranking import average_precision

VERSION = "1"
LOW_THRESHOLD = 0.2
"""Also measured: the cascade's default escalation threshold."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; recorded in the model's metadata."""

    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 0.05
    weight_decay: float = 1e-4
    class_weight_power: float = 0.5   # class weights ∝ (1 / frequency) ** power
    target_weight: float = 0.5        # weight of the targeted-group loss against the class loss
    seed: int = 13
    threads: int = 1


@dataclass
class Bags:
    """Every text's n-gram rows, concatenated (what ``EmbeddingBag`` takes)."""

    rows: np.ndarray
    offsets: np.ndarray  # len(texts) + 1

    def select(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        parts = [self.rows[self.offsets[i]:self.offsets[i + 1]] for i in indices.tolist()]
        lengths = np.fromiter((len(part) for part in parts), dtype=np.int64, count=len(parts))
        return np.concatenate(parts), np.concatenate([[0], np.cumsum(lengths)[:-1]])


def bags(features: Features, texts: Sequence[str], chunk: int = 4096) -> Bags:
    """The n-gram rows of each text, null rows dropped, in text order."""
    pieces: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    for begin in range(0, len(texts), chunk):
        rows, starts, _ = features.rows(texts[begin:begin + chunk])
        orders, length = rows.shape
        owner = np.searchsorted(starts, np.arange(length), side="right") - 1
        owner = np.broadcast_to(owner, (orders, length)).reshape(-1)
        flat = rows.reshape(-1)
        real = flat != features.buckets
        owner, flat = owner[real], flat[real]
        order = np.argsort(owner, kind="stable")
        pieces.append(flat[order])
        sizes.append(np.bincount(owner, minlength=len(starts)))
    size = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    return Bags(np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64),
                np.concatenate([[0], np.cumsum(size)]).astype(np.int64))


def train_weights(examples: Sequence[Example], features: Features,
                  config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Float weights ``(buckets + 1, 8)`` (last row zero) and bias ``(8,)`` of the linear model."""
    import torch

    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        data = bags(features, [example.text for example in examples])
        labels = np.array([CLASSES.index(example.label) for example in examples], dtype=np.int64)
        targets = np.array([TARGETS.index(example.target) if example.target else -100
                            for example in examples], dtype=np.int64)
        frequency = np.bincount(labels, minlength=len(CLASSES)).astype(np.float64)
        class_weights = np.where(frequency > 0, (len(labels) / np.maximum(frequency, 1)), 0.0)
        class_weights = class_weights ** config.class_weight_power
        class_weights /= class_weights[frequency > 0].mean()

        embedding = torch.nn.EmbeddingBag(features.buckets, COLUMNS, mode="mean")
        torch.nn.init.zeros_(embedding.weight)
        bias = torch.nn.Parameter(torch.zeros(COLUMNS))
        optimiser = torch.optim.AdamW([embedding.weight, bias], lr=config.learning_rate,
                                      weight_decay=config.weight_decay)
        class_loss = torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weights, dtype=torch.float32))
        target_loss = torch.nn.CrossEntropyLoss(ignore_index=-100)
        generator = torch.Generator().manual_seed(config.seed)
        zero = torch.zeros(1, 1)
        for _ in range(config.epochs):
            order = torch.randperm(len(examples), generator=generator).numpy()
            for begin in range(0, len(order), config.batch_size):
                batch = order[begin:begin + config.batch_size]
                rows, offsets = data.select(batch)
                out = embedding(torch.from_numpy(rows), torch.from_numpy(offsets)) + bias
                class_logits = torch.cat([out[:, :2], zero.expand(len(batch), 1)], dim=1)
                loss = class_loss(class_logits, torch.from_numpy(labels[batch]))
                batch_targets = torch.from_numpy(targets[batch])
                if bool((batch_targets >= 0).any()):
                    loss = loss + config.target_weight * target_loss(out[:, 2:], batch_targets)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        weights = embedding.weight.detach().numpy().astype(np.float32)
        return (np.concatenate([weights, np.zeros((1, COLUMNS), dtype=np.float32)]),
                bias.detach().numpy().astype(np.float32))
    finally:
        torch.set_num_threads(previous_threads)


def calibrate(model: NgramModel, examples: Sequence[Example]) -> dict[str, dict[str, Platt]]:
    """Platt scaling per language and pooled (key ``*``) on held-out examples.

    A language whose held-out part lacks positives or negatives for a class
    gets no entry for it and falls back to the pooled calibration.
    """
    margins = model.margins([example.text for example in examples])
    langs = np.array([example.lang for example in examples])
    calibration: dict[str, dict[str, Platt]] = {}
    for lang in [POOLED, *sorted(set(langs.tolist()))]:
        chosen = np.ones(len(examples), dtype=bool) if lang == POOLED else langs == lang
        for name in CALIBRATED:
            positive = np.array([example.label == name for example in examples])[chosen]
            try:
                calibration.setdefault(lang, {})[name] = fit_platt(margins[name][chosen], positive)
            except CalibrationError:
                if lang == POOLED:
                    raise
    return {lang: per for lang, per in calibration.items() if per}


def evaluate(model: NgramModel, examples: Sequence[Example]) -> dict[str, Any]:
    """Held-out measures per language and per source, at 0.5 (and 0.2) on calibrated scores."""
    prediction = model.predict([example.text for example in examples], [example.lang for example in examples])
    scores = {HATE: prediction.hate, OFFENSIVE: prediction.offensive}
    groups: dict[str, np.ndarray] = {"all": np.ones(len(examples), dtype=bool)}
    for key in sorted({example.lang for example in examples}):
        groups[key] = np.array([example.lang == key for example in examples])
    for key in sorted({example.source for example in examples}):
        groups[key] = np.array([example.source == key for example in examples])
    out: dict[str, Any] = {}
    for key, chosen in groups.items():
        measures: dict[str, Any] = {"n": int(chosen.sum())}
        for name in CALIBRATED:
            gold = np.array([example.label == name for example in examples])[chosen]
            score = scores[name][chosen]
            report = binary_report(gold.tolist(), (score >= 0.5).tolist())
            low = binary_report(gold.tolist(), (score >= LOW_THRESHOLD).tolist())
            measures[name] = {
                "precision": round(report.positive.precision, 4), "recall": round(report.positive.recall, 4),
                "f1": round(report.positive.f1, 4), "support": report.positive.support,
                f"at_{LOW_THRESHOLD}": {"precision": round(low.positive.precision, 4),
                                        "recall": round(low.positive.recall, 4),
                                        "f1": round(low.positive.f1, 4)},
                "prevalence": round(float(gold.mean()), 4) if len(gold) else 0.0,
                "mean_score": round(float(score.mean()), 4) if len(gold) else 0.0,
                "average_precision": round(average_precision(score, gold), 4),
                "brier": round(float(np.mean((score - gold) ** 2)), 4) if len(gold) else 0.0,
            }
            if name == HATE:
                measures["hateful_macro_f1"] = round(report.macro_f1, 4)
                measures["hateful_accuracy"] = round(report.accuracy, 4)
        known = chosen & np.array([example.label == HATE and example.target is not None
                                   for example in examples])
        if known.any():
            best = prediction.targets[known].argmax(axis=1)
            gold_targets = [TARGETS.index(example.target)
                            for example, keep in zip(examples, known, strict=True) if keep and example.target]
            measures["target_accuracy"] = round(float(np.mean(best == np.array(gold_targets))), 4)
            measures["target_n"] = int(known.sum())
        out[key] = measures
    return out


@dataclass
class Result:
    model: NgramModel
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def build(parts: dict[str, list[Example]], features: Features, config: TrainConfig,
          *, version: str = VERSION, sources: dict[str, Any] | None = None) -> Result:
    """Train on ``parts['train']``, calibrate on ``parts['calibration']``, measure on ``parts['test']``."""
    started = time.perf_counter()
    weights, bias = train_weights(parts["train"], features, config)
    packed, scales = quantise(weights)
    placeholder = {POOLED: {name: Platt(1.0, 0.0) for name in CALIBRATED}}
    model = NgramModel(features=features, weights=packed, scales=scales, bias=bias,
                       calibration=placeholder, version=version)
    model.calibration = calibrate(model, parts["calibration"])
    counts = {name: {"n": len(examples), **{label: sum(1 for e in examples if e.label == label)
                                            for label in CLASSES}}
              for name, examples in parts.items()}
    model.meta = {"trained_with": asdict(config), "splits": counts, "sources": sources or {},
                  "label_mapping": "see processors/training/datasets.py"}
    metrics: dict[str, Any] = {"version": version, "features": features.to_json(), "config": asdict(config),
                               "splits": counts}
    if parts.get("test"):
        metrics["test"] = evaluate(model, parts["test"])
    if parts.get("calibration"):
        metrics["calibration"] = evaluate(model, parts["calibration"])
    return Result(model, metrics, seconds=time.perf_counter() - started)


def table(measures: dict[str, Any]) -> str:
    """The held-out measures as a Markdown table (P/R/F1 at 0.5; P/R also at 0.2; AP: average precision)."""
    lines = ["| part | n | hate share | hate P | hate R | hate F1 | P@0.2 | R@0.2 | hate AP | "
             "off. share | off. P | off. R | off. F1 | off. AP | hateful macro-F1 | target acc. (n) |",
             "|---|" + "---:|" * 15]
    for key, m in measures.items():
        hate, off = m[HATE], m[OFFENSIVE]
        low = hate[f"at_{LOW_THRESHOLD}"]
        target = f"{m['target_accuracy']:.3f} ({m['target_n']})" if "target_accuracy" in m else "–"
        lines.append(f"| {key} | {m['n']:,} | {hate['prevalence']:.3f} | {hate['precision']:.3f} | "
                     f"{hate['recall']:.3f} | {hate['f1']:.3f} | {low['precision']:.3f} | "
                     f"{low['recall']:.3f} | "
                     f"{hate['average_precision']:.3f} | {off['prevalence']:.3f} | {off['precision']:.3f} | "
                     f"{off['recall']:.3f} | {off['f1']:.3f} | {off['average_precision']:.3f} | "
                     f"{m['hateful_macro_f1']:.3f} | {target} |")
    return "\n".join(lines)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processors.training.train_first_stage",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"),
                        help="the shared folder (its data/hate holds the training files)")
    parser.add_argument("--out", type=Path, default=Path("models/first-stage"))
    shape = Features()
    parser.add_argument("--buckets-log2", type=int, default=shape.buckets_log2)
    parser.add_argument("--min-n", type=int, default=shape.min_n)
    parser.add_argument("--max-n", type=int, default=shape.max_n)
    parser.add_argument("--max-chars", type=int, default=shape.max_chars)
    defaults = TrainConfig()
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--class-weight-power", type=float, default=defaults.class_weight_power)
    parser.add_argument("--target-weight", type=float, default=defaults.target_weight)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--version", default=VERSION)
    args = parser.parse_args(argv)

    hate_dir = args.shared / "data" / "hate"
    if not hate_dir.is_dir():
        hate_dir = args.shared / "hate" if (args.shared / "hate").is_dir() else hate_dir
    if not hate_dir.is_dir():
        print(f"no data/hate folder under {args.shared}", file=sys.stderr)
        return 2
    features = Features(args.buckets_log2, args.min_n, args.max_n, args.max_chars)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                         weight_decay=args.weight_decay, class_weight_power=args.class_weight_power,
                         target_weight=args.target_weight, seed=args.seed)
    examples = read_training(hate_dir)
    sources = {path.name: _sha256(path) for path in sorted(hate_dir.glob("*.csv"))
               if path.name.startswith(("davidson", "mlma"))}
    parts = split(examples)
    print(f"{len(examples):,} examples: "
          + ", ".join(f"{name} {len(part):,}" for name, part in parts.items()))
    result = build(parts, features, config, version=args.version, sources=sources)
    path = result.model.save(args.out)
    (args.out / "metrics.json").write_text(json.dumps(result.metrics, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) and {args.out / 'metrics.json'} "
          f"in {result.seconds:.0f} s")
    print("\nheld-out test part, calibrated scores, threshold 0.5:")
    print(table(result.metrics["test"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
