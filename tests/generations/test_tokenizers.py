"""Token counting: message building, tiktoken, tokenizer files, spec validation."""

import pytest

from generations import tokenizers


def test_system_prompt_is_prepended_and_replaces_the_prompts_own():
    turns = [
        {"role": "system", "content": "prompt's own"},
        {"role": "user", "content": "hi"},
    ]
    assert tokenizers.build_messages("model's", turns) == [
        {"role": "system", "content": "model's"},
        {"role": "user", "content": "hi"},
    ]
    assert tokenizers.build_messages("", turns) == turns


def test_tiktoken_counts_content_roles_and_chat_overhead():
    messages = [{"role": "user", "content": "hello world"}]
    # 3 priming + 3 per message + "user" (1) + "hello world" (2)
    assert tokenizers.count_tokens("tiktoken:cl100k_base", messages) == 9
    longer = [{"role": "user", "content": "hello world " * 50}]
    assert tokenizers.count_tokens("tiktoken:cl100k_base", longer) > 100


def test_tokenizer_file_counts_the_llama2_formatted_dialogue(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[UNK]": 0}
    words = [
        "[INST]",
        "[/INST]",
        "<<SYS>>",
        "<</SYS>>",
        "be",
        "kind",
        "hi",
        "there",
        "how",
        "are",
        "you",
        "fine",
    ]
    vocab.update({word: i + 1 for i, word in enumerate(words)})
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    messages = [
        {"role": "user", "content": "hi there"},
        {"role": "assistant", "content": "fine"},
        {"role": "user", "content": "how are you"},
    ]
    # BOS + [INST] hi there [/INST]; fine + EOS; BOS + [INST] how are you [/INST]
    assert tokenizers.count_tokens(str(path), messages) == 5 + 2 + 6
    with_system = [{"role": "system", "content": "be kind"}, *messages]
    assert tokenizers.count_tokens(str(path), with_system) == 13 + 4


def test_backend_spec_asks_the_backend():
    class Counting:
        def count_prompt_tokens(self, messages):
            return 42

    assert tokenizers.count_tokens("backend", [], Counting()) == 42


@pytest.mark.parametrize("spec", ["nope.json", "tiktoken:no_such_encoding"])
def test_invalid_specs_are_rejected(spec):
    with pytest.raises(tokenizers.TokenizerError):
        tokenizers.validate_spec(spec)


def test_a_file_that_is_no_tokenizer_is_rejected(tmp_path):
    """A new-user pass registered a chat model with tokenizer /etc/passwd."""
    for name in ("notes.txt", "broken.model", "broken.json"):
        path = tmp_path / name
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")
        with pytest.raises(tokenizers.TokenizerError, match="does not load as"):
            tokenizers.validate_spec(str(path))


def test_valid_specs_pass():
    tokenizers.validate_spec("backend")
    tokenizers.validate_spec("tiktoken:cl100k_base")
