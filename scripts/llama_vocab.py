"""Put the Llama 2 vocabulary GGUF into ~/.cache/evalsite/ unless it is already there.

The llama.cpp tests build a tiny random-weight model around it. The file ships in the
llama-cpp-python source package on PyPI (a 77 MB download, done once):

    python3 scripts/llama_vocab.py   (a Python with pip: .venv has none)
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

NAME = "ggml-vocab-llama-spm.gguf"
PACKAGE = "llama-cpp-python==0.3.36"
MEMBER_SUFFIX = f"/vendor/llama.cpp/models/{NAME}"


def main() -> Path:
    target = Path.home() / ".cache" / "evalsite" / NAME
    if target.is_file():
        print(f"{target} already there")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        # The source package only; ``:all:`` would also build pip's build tools for it
        # (setuptools, hatchling, scikit-build-core) from source, about 40 s.
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps",
             "--no-binary", "llama-cpp-python", "-d", folder, PACKAGE],
            check=True,
        )  # fmt: skip
        sdist = next(Path(folder).glob("llama_cpp_python-*.tar.gz"))
        with tarfile.open(sdist) as archive:
            member = next(m for m in archive if m.name.endswith(MEMBER_SUFFIX))
            source = archive.extractfile(member)
            partial = target.with_suffix(".part")
            partial.write_bytes(source.read())
            partial.rename(target)
    print(f"wrote {target}")
    return target


if __name__ == "__main__":
    main()
