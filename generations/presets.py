"""Presets from the Llama 2 paper: Table 31's system prompts, A.3.7's token limits."""

LLAMA2_SYSTEM_PROMPT = (
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as "
    "possible, while being safe. Your answers should not include any harmful, unethical, "
    "racist, sexist, toxic, dangerous, or illegal content. Please ensure that your "
    "responses are socially unbiased and positive in nature.\n\n"
    "If a question does not make any sense, or is not factually coherent, explain why "
    "instead of answering something not correct. If you don't know the answer to a "
    "question, please don't share false information."
)
# Table 31 writes MPT's inside ChatML's markers ("<|im_start|> system ... <|im_end|>"),
# as a raw prompt. An OpenAI-compatible server applies the model's chat template
# itself, which writes those markers around the system message: sent with them, they
# came twice (inside Llama's <<SYS>> block on a llama.cpp server). The text alone.
MPT_SYSTEM_PROMPT = (
    "A conversation between a user and an LLM-based AI assistant. "
    "The assistant gives helpful and honest answers."
)
# Texts presets had before: a model still holding one has its preset's own text.
FORMER_SYSTEM_PROMPTS = {
    "mpt": (
        "<|im_start|> system\nA conversation between a user and an LLM-based AI "
        "assistant. The assistant gives helpful and honest answers. <|im_end|>"
    ),
}
VICUNA_SYSTEM_PROMPT = (
    "A chat between a curious user and an artificial intelligence assistant. The "
    "assistant gives helpful, detailed, and polite answers to the user's questions."
)

# Table 31: Llama 2-Chat, ChatGPT, PaLM-chat and Falcon share the first prompt.
SYSTEM_PROMPTS = {
    "none": "",
    "llama2": LLAMA2_SYSTEM_PROMPT,
    "mpt": MPT_SYSTEM_PROMPT,
    "vicuna": VICUNA_SYSTEM_PROMPT,
}

# (context limit, generation limit) in tokens, A.3.7.
LIMITS = {
    "open": (1000, 1000),
    "closed": (2000, 2000),
}
