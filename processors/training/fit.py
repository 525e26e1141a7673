"""Fitting heads on embeddings: weighted logistic regression (numpy) and a one-hidden-layer network (torch).

Deterministic: Newton's method for the linear heads, and for the network a
seeded initialisation and shuffling, single-threaded, full float32.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from processors.classifiers.heads import Network, sigmoid


@dataclass(frozen=True)
class HeadConfig:
    """How a category head is fitted; recorded in the model's metadata."""

    hidden: int = 0  # 0: logistic regression; else the width of one ReLU layer
    l2: float = 1.0  # linear: L2 penalty on the weights (per unit of total sample weight × 1000)
    epochs: int = 30  # network only
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    dropout: float = 0.1
    seed: int = 13
    ensemble: int = 1  # network only: this many networks (seeds seed, seed+1, ...), averaged


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, *, l2: float = 1.0, iterations: int = 50
) -> Network:
    """Weighted, L2-penalised logistic regression by Newton's method (the bias is not penalised)."""
    n, d = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w * (n / w.sum())
    design = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    penalty = np.full(d + 1, l2 * n / 1000.0)
    penalty[-1] = 0.0
    theta = np.zeros(d + 1)
    target = y.astype(np.float64)
    for _ in range(iterations):
        p = sigmoid(design @ theta)
        gradient = design.T @ (w * (p - target)) + penalty * theta
        curvature = np.maximum(w * p * (1.0 - p), 1e-9)
        hessian = (design * curvature[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return Network(theta[:d, None].astype(np.float32), theta[d:].astype(np.float32))


def fit_network(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    config: HeadConfig,
    mask: np.ndarray | None = None,
) -> Network:
    """One ReLU hidden layer, ``k`` sigmoid outputs (``y``: (n,) or (n, k)); ``mask`` ignores entries."""
    import torch

    torch.manual_seed(config.seed)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        targets = y.reshape(len(y), -1).astype(np.float32)
        keep = np.ones_like(targets) if mask is None else mask.reshape(targets.shape).astype(np.float32)
        w = np.ones(len(x), dtype=np.float32) if weights is None else weights.astype(np.float32)
        w = w * (len(w) / w.sum())
        d, k = x.shape[1], targets.shape[1]
        model = torch.nn.Sequential(
            torch.nn.Dropout(config.dropout),
            torch.nn.Linear(d, config.hidden),
            torch.nn.ReLU(),
            torch.nn.Dropout(config.dropout),
            torch.nn.Linear(config.hidden, k),
        )
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        generator = torch.Generator().manual_seed(config.seed)
        xs, ts, ks, ws = (
            torch.from_numpy(np.ascontiguousarray(a)) for a in (x.astype(np.float32), targets, keep, w)
        )
        loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
        model.train()
        for _ in range(config.epochs):
            order = torch.randperm(len(xs), generator=generator)
            for begin in range(0, len(order), 128):
                batch = order[begin : begin + 128]
                losses = loss_fn(model(xs[batch]), ts[batch]) * ks[batch] * ws[batch, None]
                loss = losses.sum() / ks[batch].sum().clamp(min=1.0)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        model.eval()
        first: Any = model[1]
        last: Any = model[4]
        return Network(
            last.weight.detach().numpy().T.copy(),
            last.bias.detach().numpy().copy(),
            first.weight.detach().numpy().T.copy(),
            first.bias.detach().numpy().copy(),
        )
    finally:
        torch.set_num_threads(previous)


def fit_head(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, config: HeadConfig) -> Network:
    if config.hidden and config.ensemble > 1:
        seeds = range(config.seed, config.seed + config.ensemble)
        return averaged([fit_network(x, y, weights, replace(config, seed=seed)) for seed in seeds])
    if config.hidden:
        return fit_network(x, y, weights, config)
    return fit_logistic(x, y, weights, l2=config.l2)


def averaged(networks: list[Network]) -> Network:
    """One network whose logits are the mean of ``networks``' logits (one hidden layer each).

    Side by side, their hidden layers make one wider layer, and the output weights,
    divided by their number, average them: the heads file and the run-time code stay
    as they are, and the average of differently seeded networks varies less with the
    seed than any one of them.
    """
    count = len(networks)
    hidden = [n.hidden for n in networks]
    hidden_bias = [n.hidden_bias for n in networks]
    if any(h is None for h in hidden) or any(b is None for b in hidden_bias):
        raise ValueError("only networks with a hidden layer can be averaged")
    return Network(
        np.vstack([n.weight for n in networks]) / count,
        np.mean([n.bias for n in networks], axis=0),
        np.hstack([h for h in hidden if h is not None]),
        np.concatenate([b for b in hidden_bias if b is not None]),
    )


def fit_labels(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, balanced: bool = True) -> Network:
    """Independent logistic heads, one per column of ``y`` (n, k); a one-class column: a constant head."""
    columns = []
    biases = []
    for column in y.T:
        if column.all() or not column.any():
            columns.append(np.zeros((x.shape[1], 1), dtype=np.float32))
            biases.append(np.array([10.0 if column.all() else -10.0], dtype=np.float32))
            continue
        weights = None
        if balanced:
            share = column.mean()
            weights = np.where(column, 0.5 / share, 0.5 / (1 - share))
        head = fit_logistic(x, column, weights, l2=l2)
        columns.append(head.weight)
        biases.append(head.bias)
    return Network(np.hstack(columns), np.concatenate(biases))


def best_f1_threshold(scores: np.ndarray, positive: np.ndarray, floor: float = 0.05) -> float:
    """The score threshold with the highest F1 on these examples (at least ``floor``)."""
    if not positive.any():
        return 0.5
    order = np.argsort(-scores, kind="stable")
    hits = positive[order].astype(np.float64)
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / hits.sum()
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    best = int(np.argmax(f1))
    return max(float(scores[order][best]), floor)


def threshold_for_recall(scores: np.ndarray, positive: np.ndarray, recall: float) -> float:
    """The highest threshold keeping at least ``recall`` of the positives (``score >= threshold``)."""
    positives = np.sort(scores[positive])[::-1]
    if not len(positives):
        return 1.0
    index = min(int(np.ceil(recall * len(positives))) - 1, len(positives) - 1)
    return float(positives[max(index, 0)])
