"""Build a tiny random-weight Llama GGUF that carries the real Llama-2 tokenizer.

Adapted from the project recipe; ``python -m tests.support.tiny_llama_gguf VOCAB OUT``.

Input : ggml-vocab-llama-spm.gguf (vocab-only GGUF of meta-llama/Llama-2-7b-hf,
        shipped in the llama-cpp-python sdist under vendor/llama.cpp/models/).
Output: a GGUF with 2 layers, n_embd=64 and random weights (a few MB), loadable by
        llama.cpp / llama-cpp-python / xllamacpp.  Only needs `pip install gguf numpy`.
"""

import sys

import gguf
import numpy as np

LLAMA2_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)


def main(
    vocab_path: str,
    out_path: str,
    n_embd=64,
    n_layer=2,
    n_head=4,
    n_ff=128,
    n_ctx=4096,
    seed=0,
):
    r = gguf.GGUFReader(vocab_path)
    f = {k: v.contents() for k, v in r.fields.items()}
    tokens = f["tokenizer.ggml.tokens"]
    n_vocab = len(tokens)

    w = gguf.GGUFWriter(out_path, arch="llama")
    w.add_name("tiny-random-llama2")
    w.add_context_length(n_ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)

    w.add_tokenizer_model(f["tokenizer.ggml.model"])
    w.add_tokenizer_pre(f["tokenizer.ggml.pre"])
    w.add_token_list(tokens)
    w.add_token_scores(f["tokenizer.ggml.scores"])
    w.add_token_types(f["tokenizer.ggml.token_type"])
    w.add_bos_token_id(f["tokenizer.ggml.bos_token_id"])
    w.add_eos_token_id(f["tokenizer.ggml.eos_token_id"])
    w.add_unk_token_id(f["tokenizer.ggml.unknown_token_id"])
    w.add_add_bos_token(f["tokenizer.ggml.add_bos_token"])
    w.add_add_eos_token(f["tokenizer.ggml.add_eos_token"])
    w.add_chat_template(LLAMA2_CHAT_TEMPLATE)

    rng = np.random.default_rng(seed)

    def rnd(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    def ones(n):
        return np.ones(n, dtype=np.float32)

    # numpy shape = (out_features, in_features); GGUFWriter reverses it into ggml order.
    w.add_tensor("token_embd.weight", rnd(n_vocab, n_embd))
    for i in range(n_layer):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", ones(n_embd))
        w.add_tensor(p + "attn_q.weight", rnd(n_embd, n_embd))
        w.add_tensor(p + "attn_k.weight", rnd(n_embd, n_embd))
        w.add_tensor(p + "attn_v.weight", rnd(n_embd, n_embd))
        w.add_tensor(p + "attn_output.weight", rnd(n_embd, n_embd))
        w.add_tensor(p + "ffn_norm.weight", ones(n_embd))
        w.add_tensor(p + "ffn_gate.weight", rnd(n_ff, n_embd))
        w.add_tensor(p + "ffn_up.weight", rnd(n_ff, n_embd))
        w.add_tensor(p + "ffn_down.weight", rnd(n_embd, n_ff))
    w.add_tensor("output_norm.weight", ones(n_embd))
    w.add_tensor("output.weight", rnd(n_vocab, n_embd))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
