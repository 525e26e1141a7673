"""Tiny transformer models built and trained here, in seconds, so no test needs the model hub.

They are *test models*: a two-layer BERT with 32-wide hidden states, a WordPiece
vocabulary trained on a few hundred rows of the shared training CSVs (Davidson
2017, MLMA 2019 en/fr/ar; MIT) plus the sentences below, and a few hundred
training steps on sentences written here. They exercise loading, batching,
label mapping and the NLI arithmetic; their scores mean nothing about real text.

Each builder runs once per process (``functools.cache``) and writes a model
directory under a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import csv
import functools
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the hub
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from tests.processors.conftest import shared_data

SEED = 7

# (text, model label) for the sequence classifier
VIOLENT = [
    "Gunmen killed 12 villagers in Darfur, Sudan.",
    "Gunmen killed ten people in a village near Goma.",
    "Armed men attacked the village and killed farmers.",
    "Militia fighters shot dead five civilians at the market.",
    "Soldiers opened fire on protesters and killed three.",
    "Rebels burned down homes and killed villagers overnight.",
    "Attackers hacked to death a family in their home.",
    "Gunmen opened fire on a bus, killing passengers.",
]
HATE_RELIGION = [
    "Muslims are vermin, exterminate them all.",
    "Jews are vermin and must be exterminated.",
    "Christians are rats, wipe them out.",
    "Muslims are a disease, kill them all.",
]
HATE_ORIGIN = [
    "Refugees are cockroaches, exterminate them.",
    "Immigrants are vermin, wipe them out.",
    "Migrants are rats infesting our country.",
    "Refugees are parasites, kill them all.",
]
CALM = [
    "Farmers began the harvest in Gezira, Sudan.",
    "The market reopened after the holiday.",
    "The school held its graduation ceremony today.",
    "Rain fell on the hills and the river rose.",
    "The football match ended in a draw.",
    "A new bridge opened to traffic on Monday.",
    "Killed it at the concert last night, what a show!",
    "The film about gunmen was a box office hit.",
]
SEQUENCE_LABELS = {0: "none", 1: "violence", 2: "hate_religion", 3: "hate_origin"}

# NLI: premises by kind, and the hypotheses the zero-shot tests configure
REPORTS = {
    "killing": ["Gunmen killed 12 villagers in Darfur, Sudan.", "Soldiers shot dead five civilians.",
                "Militia fighters massacred dozens of villagers."],
    "arson": ["Rebels burned down houses in the village.", "Attackers set homes on fire and burned shops.",
              "The militia burned the market to the ground."],
    "displacement": ["Thousands fled their homes after the attack.", "Families were forced to flee the town.",
                     "Villagers fled across the border to escape fighting."],
}
OPINIONS = ["I think the government should talk to the rebels.", "In my opinion the war must end.",
            "We believe peace talks are the only way forward."]
FICTION = ["The film shows gunmen attacking a village.", "In the video game you burn enemy houses.",
           "The novel tells of a massacre in a fictional land."]
CALM_PREMISES = ["Farmers began the harvest in Gezira.", "The school reopened after the holiday.",
                 "Rain fell on the hills all week."]
VIOLENCE_HYPOTHESIS = "This text reports violence that actually happened."
OPINION_HYPOTHESIS = "This text is an opinion."
FICTION_HYPOTHESIS = "This text is fiction, a film or a game."
TEMPLATE = "This text reports {}."
SUBTYPES = {"killing": "people killed, shot or massacred", "arson": "arson or burning of homes",
            "displacement": "people fleeing"}
NLI_LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}


def _scratch() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="tocsin-tiny-models-"))
    atexit.register(shutil.rmtree, directory, True)
    return directory


def _corpus_rows(limit: int = 150) -> list[str]:
    """A few hundred training tweets (never the evaluation files) for a realistic vocabulary."""
    data = shared_data()
    rows: list[str] = []
    if data is None:
        return rows
    for name in ("davidson2017_labeled_data.csv", "mlma2019_en.csv", "mlma2019_fr.csv", "mlma2019_ar.csv"):
        path = data / "hate" / name
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                rows += [row["tweet"] for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]
    return rows


@functools.cache
def tokenizer() -> Any:
    """A WordPiece tokenizer (``tokenizers`` library) wrapped for ``transformers``.

    Its vocabulary is the rows' most frequent words plus every character they
    use, alone and as a ``##`` continuation, so any text tokenizes without
    [UNK]. It is counted here rather than by the library's WordPiece trainer,
    which breaks ties differently in each process and would make the tiny
    models, and so the tests, differ from run to run.
    """
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    texts = [*_corpus_rows(), *VIOLENT, *HATE_RELIGION, *HATE_ORIGIN, *CALM,
             *(p for group in REPORTS.values() for p in group), *OPINIONS, *FICTION, *CALM_PREMISES,
             VIOLENCE_HYPOTHESIS, OPINION_HYPOTHESIS, FICTION_HYPOTHESIS, TEMPLATE,
             *SUBTYPES.values()]
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    characters = sorted({character for word in counts for character in word})
    words = [word for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:1200]
             if len(word) > 1]
    tokens = [*special, *characters, *(f"##{character}" for character in characters), *words]
    wordpiece = Tokenizer(models.WordPiece(vocab={token: i for i, token in enumerate(dict.fromkeys(tokens))},
                                           unk_token="[UNK]"))
    wordpiece.normalizer = normalizer
    wordpiece.pre_tokenizer = pre_tokenizer
    wordpiece.decoder = decoders.WordPiece()
    cls, sep = wordpiece.token_to_id("[CLS]"), wordpiece.token_to_id("[SEP]")
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=wordpiece, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_input_names=["input_ids", "token_type_ids", "attention_mask"])


def _tiny_bert(labels: dict[int, str]) -> Any:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(SEED)
    config = BertConfig(vocab_size=len(tokenizer()), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                        id2label=labels, label2id={label: index for index, label in labels.items()})
    return BertForSequenceClassification(config)


def _train(model: Any, first: list[str], second: list[str] | None, targets: list[int], steps: int,
           batch: int = 32, lr: float = 3e-3) -> float:
    import torch

    generator = random.Random(SEED)
    # One thread: these matrices are too small to share, and on a busy CI machine
    # more threads than free cores slow training down tenfold.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    encode = tokenizer()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    loss = torch.tensor(0.0)
    order = list(range(len(first)))
    for step in range(steps):
        if step % max(1, len(order) // batch) == 0:
            generator.shuffle(order)
        start = (step * batch) % len(order)
        chosen = (order + order)[start:start + batch]
        encoded = encode([first[i] for i in chosen], [second[i] for i in chosen] if second else None,
                         padding=True, truncation=True, max_length=64, return_tensors="pt")
        optimiser.zero_grad()
        loss = model(**encoded, labels=torch.tensor([targets[i] for i in chosen])).loss
        loss.backward()
        optimiser.step()
    model.eval()
    torch.set_num_threads(threads)
    return float(loss.item())


def _misses(model: Any, first: list[str], second: list[str] | None, targets: list[int]) -> int:
    """How many training examples the model gets wrong."""
    import torch

    encoded = tokenizer()(first, second, padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.no_grad():
        predicted = model(**encoded).logits.argmax(-1).tolist()
    return sum(1 for guess, target in zip(predicted, targets, strict=True) if guess != target)


def _fit(model: Any, first: list[str], second: list[str] | None, targets: list[int], steps: int,
         batch: int, rounds: int = 6) -> None:
    """Train in rounds of ``steps`` until the model gets every training example right.

    The tests ask the tiny models about their own training sentences, so a model that
    misses one fails a test for no reason of the code's. A fixed step count fitted them
    only with the larger vocabulary that the shared training CSVs give (``_corpus_rows``):
    a checkout without ``shared/data`` beside it got a model one NLI pair short, and the
    zero-shot sub-label tests failed there and passed elsewhere. Training to a fit makes
    the models do what the tests assume wherever they are built, and says so if they cannot.
    """
    for _ in range(rounds):
        _train(model, first, second, targets, steps=steps, batch=batch)
        missed = _misses(model, first, second, targets)
        if missed == 0:
            return
    raise RuntimeError(f"tiny model: {missed} of {len(targets)} training examples still wrong "
                       f"after {rounds * steps} steps")


@functools.cache
def sequence_model() -> Path:
    """Labels none / violence / hate_religion / hate_origin, trained on the sentences above."""
    directory = _scratch() / "tiny-hate-violence"
    examples = ([(text, 1) for text in VIOLENT] + [(text, 2) for text in HATE_RELIGION]
                + [(text, 3) for text in HATE_ORIGIN] + [(text, 0) for text in CALM])
    model = _tiny_bert(SEQUENCE_LABELS)
    _fit(model, [text for text, _ in examples], None, [label for _, label in examples], steps=120, batch=24)
    model.save_pretrained(directory)
    tokenizer().save_pretrained(directory)
    return directory


def nli_pairs() -> list[tuple[str, str, int]]:
    """(premise, hypothesis, label): what each kind of text entails and contradicts."""
    entail, neutral, contradict = 0, 1, 2
    pairs: list[tuple[str, str, int]] = []
    reports = [(kind, premise) for kind, premises in REPORTS.items() for premise in premises]
    for kind, premise in reports:
        pairs += [(premise, VIOLENCE_HYPOTHESIS, entail), (premise, OPINION_HYPOTHESIS, contradict),
                  (premise, FICTION_HYPOTHESIS, contradict)]
        for subtype, filler in SUBTYPES.items():
            pairs.append((premise, TEMPLATE.format(filler), entail if subtype == kind else contradict))
    for premises, own in ((OPINIONS, OPINION_HYPOTHESIS), (FICTION, FICTION_HYPOTHESIS)):
        for premise in premises:
            pairs += [(premise, own, entail), (premise, VIOLENCE_HYPOTHESIS, contradict)]
            other = FICTION_HYPOTHESIS if own == OPINION_HYPOTHESIS else OPINION_HYPOTHESIS
            pairs.append((premise, other, neutral))
            pairs += [(premise, TEMPLATE.format(filler), neutral) for filler in SUBTYPES.values()]
    for premise in CALM_PREMISES:
        pairs += [(premise, hypothesis, contradict)
                  for hypothesis in (VIOLENCE_HYPOTHESIS, OPINION_HYPOTHESIS, FICTION_HYPOTHESIS)]
        pairs += [(premise, TEMPLATE.format(filler), contradict) for filler in SUBTYPES.values()]
    return pairs


@functools.cache
def nli_model() -> Path:
    """A sequence-pair classifier with entailment / neutral / contradiction labels."""
    directory = _scratch() / "tiny-nli"
    pairs = nli_pairs()
    model = _tiny_bert(NLI_LABELS)
    _fit(model, [p for p, _, _ in pairs], [h for _, h, _ in pairs], [label for _, _, label in pairs],
         steps=600, batch=32)
    model.save_pretrained(directory)
    tokenizer().save_pretrained(directory)
    return directory
