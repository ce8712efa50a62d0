"""A real TRL `GRPOTrainer` run with our rewards (needs the `[trl]` extra; marker `trl`).

Everything is built in-process, nothing is downloaded: a word-level tokenizer (with a chat
template for the conversational case) and a tiny random Llama. Two GRPO steps on CPU, then each
reward's `rewards/<name>/mean` must be in the trainer's log history, finite, and the mean of what
the reward returned for that step.

    pip install -e '.[test,trl]' && python -m pytest -q -m trl tests/test_trl_integration.py

Without the extra the tests skip; with R1REWARD_REQUIRE_TRL=1 (CI) a missing import fails them.
"""

from __future__ import annotations

import importlib
import math
import os

import pytest
from r1reward.rewards import (
    Accuracy,
    CosineLength,
    LanguageConsistency,
    ReasoningSteps,
    RepetitionPenalty,
    SoftOverlong,
    TagCount,
    ThinkFormat,
    r1,
    r1_zero,
)

pytestmark = [
    pytest.mark.trl,
    # transformers 5 deprecates `gradient_checkpointing`, which TRL's config still sets.
    pytest.mark.filterwarnings("ignore:.*gradient_checkpointing.*:FutureWarning"),
]

SPECIAL = ["<pad>", "<unk>", "<bos>", "<eos>"]
TAGS = ["<think>", "</think>", "<answer>", "</answer>"]
# Mostly English words, so that random text still has words for the language reward to count,
# and whole step markers ("First," ...), so that the steps reward has something to find.
WORD_TEXT = (
    "the a is of to and in that it we so then first next add two plus three four five answer "
    "think sum number equals result because therefore check step total what user assistant "
    "system : + = ? . , 0 1 2 3 4 5 6 7 8 9 First, Next, Finally,"
)
WORDS = WORD_TEXT.split()
VOCAB = {tok: i for i, tok in enumerate(SPECIAL + TAGS + WORDS)}

# Space-separated pieces, so the whitespace pre-tokenizer sees whole tags and words.
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}assistant : {% endif %}"
)

# One row has no reference: Accuracy returns None there (not applicable), which TRL turns into
# NaN and leaves out of its nanmean; each step has two prompts, so the mean stays finite.
PROBLEMS = [
    ("what is 2 + 2 ?", "4"),
    ("what is 3 + 4 ?", "7"),
    ("what is 1 + 5 ?", None),
    ("what is 2 + 7 ?", "9"),
]

MAX_COMPLETION = 12  # tokens generated at most (GRPOConfig.max_completion_length)


OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


@pytest.fixture
def trl_stack(monkeypatch):
    """Offline, then the heavy imports: only for selected tests (`-m "not trl"` imports none)."""
    for name, value in OFFLINE.items():  # before transformers / huggingface_hub are imported
        monkeypatch.setenv(name, value)
    hint = "pip install -e '.[trl]'"
    for module in ("torch", "transformers", "tokenizers", "datasets", "trl"):
        if os.environ.get("R1REWARD_REQUIRE_TRL") == "1":  # CI: a missing stack fails, not skips
            importlib.import_module(module)
        else:
            pytest.importorskip(module, reason=f"{module} is not installed ({hint})")


def make_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel(vocab=VOCAB, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    # No decoder: tokens are joined with single spaces, tags included (they are not special).
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<bos>",
        eos_token="<eos>",
        padding_side="left",
        truncation_side="left",
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def make_model(tokenizer):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def make_dataset(conversational: bool):
    from datasets import Dataset

    if conversational:
        prompts = [
            [
                {"role": "system", "content": "think first then answer"},
                {"role": "user", "content": question},
            ]
            for question, _ in PROBLEMS
        ]
    else:
        prompts = [f"user : {question} assistant : <think>" for question, _ in PROBLEMS]
    return Dataset.from_dict({"prompt": prompts, "solution": [s for _, s in PROBLEMS]})


def run_grpo(tmp_path, reward_funcs, conversational: bool):
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = make_tokenizer()
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=2,
        per_device_train_batch_size=4,  # two prompts x two generations a step
        gradient_accumulation_steps=1,
        num_generations=2,
        max_completion_length=MAX_COMPLETION,
        # Never an empty completion: the language reward needs words to count.
        generation_kwargs={"min_new_tokens": 4},
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        fp16=False,
        gradient_checkpointing=False,
        dataloader_num_workers=0,
        disable_tqdm=True,
        seed=0,
    )
    trainer = GRPOTrainer(
        model=make_model(tokenizer),
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=make_dataset(conversational),
        processing_class=tokenizer,
    )
    trainer.train()
    return trainer


class Recording:
    """Mixin for a reward class: keeps each batch it returned to the trainer (same `__name__`,
    same values), so that the logged means can be held to what the reward said."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.batches: list[list[float | None]] = []

    def __call__(self, completions, prompts=None, **columns) -> list[float | None]:
        values = super().__call__(completions, prompts, **columns)
        self.batches.append(list(values))
        return values


def recording(cls: type) -> type:
    """`cls` that keeps what it returned (see `Recording`)."""
    return type(f"Recording{cls.__name__}", (Recording, cls), {})


def nanmean(values: list[float | None]) -> float | None:
    """TRL's mean of one reward over a batch: None values (NaN to TRL) left out."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def close(expected: float | None):
    """A logged mean to compare with: TRL averages in float32."""
    return pytest.approx(expected, rel=1e-5, abs=1e-6)


def weighted_sum(*components: list[float | None]) -> list[float | None]:
    """A preset's values from its components' (weights 1): None counts nothing, all None is None."""
    rows = [[v for v in row if v is not None] for row in zip(*components, strict=True)]
    return [sum(row) if row else None for row in rows]


def step_logs(trainer) -> list[dict]:
    logs = [entry for entry in trainer.state.log_history if "reward" in entry]
    assert len(logs) == trainer.state.global_step == 2, trainer.state.log_history
    return logs


def assert_finite_reward_metrics(trainer, names):
    for entry in step_logs(trainer):
        for name in names:
            key = f"rewards/{name}/mean"
            assert key in entry, f"{key} is missing from the logs: {sorted(entry)}"
            # TRL logs a metric whose values were all NaN (every reward None) as None.
            value = entry[key]
            assert value is not None and math.isfinite(value), f"{key} = {value!r} in {entry}"
            assert f"rewards/{name}/std" in entry  # None when fewer than two values were not None


@pytest.mark.parametrize("conversational", [False, True], ids=["standard", "conversational"])
def test_grpo_trainer_logs_every_reward(trl_stack, tmp_path, conversational):
    accuracy = recording(Accuracy)()
    think = recording(ThinkFormat)()
    language = recording(LanguageConsistency)("en")
    cosine = recording(CosineLength)()
    # max_len = cache_len >= the generation limit: a completion of n tokens scores -n / max_len,
    # so the mean follows TRL's completions/mean_length only if the reward counted TRL's
    # `completion_ids` (n tokens decode to at least 2n - 1 characters: a different mean)
    window = 4 * MAX_COMPLETION
    overlong = SoftOverlong(unit="tokens", max_len=window, cache_len=window)
    funcs = [
        accuracy,
        think,
        recording(TagCount)(),
        language,
        cosine,
        recording(RepetitionPenalty)(ngram_size=1),  # 12 random words repeat words, rarely 3-grams
        recording(ReasoningSteps)(),
        overlong,
        r1_zero(),
        r1("en", name="r1_en"),  # beside r1_zero, under a name of its own
    ]
    names = [f.__name__ for f in funcs]
    assert names == [
        "accuracy",
        "think_format",
        "tag_count",
        "language_consistency",
        "cosine_length",
        "repetition_penalty",
        "reasoning_steps",
        "soft_overlong",
        "r1_zero",
        "r1_en",
    ]
    # An always-None reward (no target language given): TRL must still run and log its key.
    no_target = LanguageConsistency(name="language_no_target")

    trainer = run_grpo(tmp_path, [*funcs, no_target], conversational)

    assert trainer.reward_func_names == [*names, "language_no_target"]
    assert_finite_reward_metrics(trainer, names)
    logs = step_logs(trainer)
    recorded = [f for f in funcs if isinstance(f, Recording)]
    for f in recorded:
        assert len(f.batches) == len(logs), (f.__name__, f.batches)  # one call a step
    returned = [v for batch in accuracy.batches for v in batch]
    assert None in returned and any(v is not None for v in returned)
    for step, entry in enumerate(logs):
        for f in recorded:  # TRL logs the mean of what the reward returned
            assert entry[f"rewards/{f.__name__}/mean"] == close(nanmean(f.batches[step]))
        # cosine length scales accuracy's verdict, so it is None exactly where accuracy is
        acc = accuracy.batches[step]
        assert [v is None for v in cosine.batches[step]] == [v is None for v in acc]
        # the presets score the same completions as the rewards they are made of
        presets = {
            "r1_zero": weighted_sum(acc, think.batches[step]),
            "r1_en": weighted_sum(acc, think.batches[step], language.batches[step]),
        }
        for name, values in presets.items():
            assert entry[f"rewards/{name}/mean"] == close(nanmean(values))
        tokens = entry["completions/mean_length"]
        assert 4 <= tokens <= MAX_COMPLETION  # min_new_tokens .. max_completion_length
        assert entry["rewards/soft_overlong/mean"] == close(-tokens / window)
        assert "rewards/language_no_target/mean" in entry
        assert entry["rewards/language_no_target/mean"] is None
        assert math.isfinite(entry["reward"])
