"""A real TRL `GRPOTrainer` run with our rewards (needs the `[trl]` extra; marker `trl`).

Everything is built in-process, nothing is downloaded: a word-level tokenizer (with a chat
template for the conversational case) and a tiny random Llama. One or two GRPO steps on CPU, then
each reward's `rewards/<name>/mean` must be in the trainer's log history and finite.

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
    LanguageConsistency,
    TagCount,
    ThinkFormat,
    r1_zero,
)

pytestmark = [
    pytest.mark.trl,
    # transformers 5 deprecates `gradient_checkpointing`, which TRL's config still sets.
    pytest.mark.filterwarnings("ignore:.*gradient_checkpointing.*:FutureWarning"),
]

SPECIAL = ["<pad>", "<unk>", "<bos>", "<eos>"]
TAGS = ["<think>", "</think>", "<answer>", "</answer>"]
# Mostly English words, so that random text still has words for the language reward to count.
WORD_TEXT = (
    "the a is of to and in that it we so then first next add two plus three four five answer "
    "think sum number equals result because therefore check step total what user assistant "
    "system : + = ? . , 0 1 2 3 4 5 6 7 8 9"
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
        max_completion_length=12,
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


class RecordingAccuracy(Accuracy):
    """Accuracy that keeps what it returned to the trainer (same `__name__`, same values)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.returned: list[float | None] = []

    def __call__(self, completions, prompts=None, **columns):
        values = super().__call__(completions, prompts, **columns)
        self.returned.extend(values)
        return values


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
    accuracy = RecordingAccuracy()
    funcs = [accuracy, ThinkFormat(), TagCount(), LanguageConsistency("en"), r1_zero()]
    names = [f.__name__ for f in funcs]
    assert names == ["accuracy", "think_format", "tag_count", "language_consistency", "r1_zero"]
    # An always-None reward (no target language given): TRL must still run and log its key.
    no_target = LanguageConsistency(name="language_no_target")

    trainer = run_grpo(tmp_path, [*funcs, no_target], conversational)

    assert trainer.reward_func_names == [*names, "language_no_target"]
    assert_finite_reward_metrics(trainer, names)
    assert None in accuracy.returned and any(v is not None for v in accuracy.returned)
    for entry in step_logs(trainer):
        assert "rewards/language_no_target/mean" in entry
        assert entry["rewards/language_no_target/mean"] is None
        assert math.isfinite(entry["reward"])
