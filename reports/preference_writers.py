"""Writers of the preference export: JSON Lines and a Hugging Face dataset folder.

Column by column, a chunk of rows at a time, with Arrow: every response and prompt
is encoded once (as JSON text, and as an Arrow list of messages) and taken by
position for each row that shows it; a label column is encoded once per distinct
value. The JSON lines are joined by Arrow's string kernels and written from its
buffers, so no row ever becomes a Python dict.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_ROWS = 65_536
MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
TEXT_COLUMNS = ("prompt", "chosen", "rejected")
LABEL_COLUMNS = ("strength", "chosen_safety", "rejected_safety", "safety_category",
                 "chosen_model", "rejected_model", "evaluation")  # fmt: skip
# Everything after the labels is an integer id or count.
ORDER = ("prompt", "chosen", "rejected", "margin", *LABEL_COLUMNS)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


@dataclass(frozen=True)
class Texts:
    """Each response and prompt once: as JSON text and as Arrow messages, with the
    model of each response; rows refer to them by position."""

    response_json: pa.Array
    response_messages: pa.Array
    response_model: np.ndarray
    prompt_json: pa.Array
    prompt_messages: pa.Array

    @classmethod
    def of(cls, responses: pd.DataFrame, prompts: pd.DataFrame) -> Texts:
        """From ``responses`` (``text``, ``model``) and ``prompts`` (``messages``:
        lists of ``{"role", "content"}``), in the positions rows use."""
        texts = responses["text"].tolist()
        count = len(texts)
        assistant = pa.array(["assistant"] * count, pa.string())
        response_json = [
            f'[{{"role": "assistant", "content": {_dumps(text)}}}]' for text in texts
        ]
        return cls(
            response_json=pa.array(response_json, pa.large_string()),
            response_messages=pa.ListArray.from_arrays(
                pa.array(np.arange(count + 1, dtype=np.int32)),
                pa.StructArray.from_arrays(
                    [assistant, pa.array(texts, pa.string())], fields=list(MESSAGE)
                ),
            ),
            response_model=responses["model"].to_numpy(dtype=object),
            prompt_json=pa.array(
                [_dumps(messages) for messages in prompts["messages"]],
                pa.large_string(),
            ),
            prompt_messages=pa.array(prompts["messages"].tolist(), MESSAGES),
        )


@dataclass(frozen=True)
class ExportData:
    """Rows of an export (``preference_export._rows``: positions of the prompt and
    the two responses in ``texts``, then the other columns) and their texts."""

    rows: pd.DataFrame
    texts: Texts

    @property
    def columns(self) -> list[str]:
        extra = [c for c in self.rows.columns if c not in ORDER]
        return [*ORDER, *extra]

    def chunks(self):
        """(column -> values) for each chunk of rows; the models looked up."""
        for start in range(0, len(self.rows), CHUNK_ROWS):
            chunk = self.rows.iloc[start : start + CHUNK_ROWS]
            values = {column: chunk[column].to_numpy() for column in chunk.columns}
            for side in ("chosen", "rejected"):
                values[f"{side}_model"] = self.texts.response_model[values[side]]
            yield values

    def schema(self) -> pa.Schema:
        types = {"prompt": MESSAGES, "chosen": MESSAGES, "rejected": MESSAGES,
                 "margin": pa.float64()}  # fmt: skip
        return pa.schema(
            [
                (column, types.get(column, pa.string() if column in LABEL_COLUMNS
                                   else pa.int64()))
                for column in self.columns
            ]
        )  # fmt: skip


def _json_labels(values: np.ndarray) -> pa.Array:
    """Each value's JSON text (null for None), encoded once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = pa.array([*map(_dumps, uniques.tolist()), "null"], pa.large_string())
    return lookup.take(pa.array(np.where(codes < 0, len(uniques), codes)))


def _json_column(column: str, values: np.ndarray, texts: Texts) -> pa.Array:
    if column == "prompt":
        return texts.prompt_json.take(pa.array(values))
    if column in ("chosen", "rejected"):
        return texts.response_json.take(pa.array(values))
    if column == "margin" or column in LABEL_COLUMNS:
        return _json_labels(values)
    return pc.cast(pa.array(values, pa.int64()), pa.large_string())


def write_jsonl(data: ExportData, path: Path) -> None:
    """One JSON object per line, UTF-8, in the order of ``data.rows``."""
    with Path(path).open("wb") as out:
        if data.rows.empty:
            return
        for values in data.chunks():
            pieces = []
            for index, column in enumerate(data.columns):
                pieces.append(_large(("{" if index == 0 else ", ") + f'"{column}": '))
                pieces.append(_json_column(column, values[column], data.texts))
            pieces.append(_large("}\n"))
            lines = pc.binary_join_element_wise(*pieces, _large(""))
            _write_values(out, lines)


def _write_values(out, lines: pa.Array) -> None:
    """The bytes of every value of a large-string array, back to back."""
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    out.write(memoryview(data)[bounds[0] : bounds[-1]])


def _arrow_column(column: str, values: np.ndarray, texts: Texts, kind) -> pa.Array:
    if column == "prompt":
        return texts.prompt_messages.take(pa.array(values))
    if column in ("chosen", "rejected"):
        return texts.response_messages.take(pa.array(values))
    return pa.array(values, kind, from_pandas=True)


def record_batches(data: ExportData):
    """The rows as Arrow record batches of ``data.schema()``, one per chunk."""
    schema = data.schema()
    if data.rows.empty:
        return
    for values in data.chunks():
        yield pa.record_batch(
            [_arrow_column(f.name, values[f.name], data.texts, f.type) for f in schema],
            schema=schema,
        )


def write_hf(data: ExportData, path: Path) -> None:
    """A folder that ``datasets.load_from_disk`` opens (``Dataset.save_to_disk``).

    The batches go to an Arrow stream file first, which ``Dataset.from_file`` maps
    into memory: the whole table is never held at once.
    """
    import datasets  # slow to import; only this writer needs it

    datasets.disable_progress_bars()  # a server's log is no terminal
    path = Path(path)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as scratch:
        stream = Path(scratch) / "rows.arrow"
        with (
            pa.OSFile(str(stream), "wb") as sink,
            pa.ipc.new_stream(sink, data.schema()) as writer,
        ):
            for batch in record_batches(data):
                writer.write_batch(batch)
        dataset = datasets.Dataset.from_file(str(stream))
        # An empty dataset saved in no shard would not load again: one shard then.
        dataset.save_to_disk(str(path), num_shards=None if len(dataset) else 1)
        del dataset  # unmapped before its file goes
