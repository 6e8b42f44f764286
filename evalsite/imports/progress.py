"""The import commands' progress bar: tqdm on the command's stderr, on a terminal."""

from tqdm import tqdm


class _CommandStream:
    """A file for tqdm that writes through a command's OutputWrapper as it is:
    no line ending added, no error colour."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class ImportProgress:
    """Stages (reading, importing, done) and records read, out of an estimate.

    ``records`` is the services' ``progress`` callback: records read so far.
    """

    def __init__(self, stderr, *, total: int, enabled: bool):
        self.bar = tqdm(
            total=max(total, 1),
            desc="reading",
            unit=" records",
            file=_CommandStream(stderr),
            disable=not enabled,
            dynamic_ncols=True,
        )

    def stage(self, name: str) -> None:
        self.bar.set_description(name)

    def records(self, read: int) -> None:
        self.bar.update(max(read - self.bar.n, 0))

    def close(self, read: int | None = None) -> None:
        if read is not None:
            self.bar.total = max(self.bar.total, read)
            self.records(read)
            self.stage("done")
        self.bar.close()
