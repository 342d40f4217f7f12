"""An export of one huge line (issue #16 item 10): how long reading it takes and how much
memory it holds, streamed in 1 MiB chunks as from S3, through the import's reader.

Run: `.venv/bin/python bench/long_line.py [--megabytes N]`. Prints the seconds, the peak memory
of the process and what the reader made of the line.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Iterator

from reactivation.adapters.imports import CHUNK_BYTES, decoded_lines
from reactivation.domain.importing import ExportFile, ImportSettings, stream_file


def chunks(megabytes: int) -> Iterator[bytes]:
    yield b"patient_id,first_name,last_name\n"
    yield b"P-1,Ana,"
    for _ in range(megabytes):
        yield b"x" * CHUNK_BYTES
    yield b"\nP-2,Ben,Okafor\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=40)
    args = parser.parse_args()
    started = time.perf_counter()
    stream = stream_file(
        ExportFile.PATIENTS, decoded_lines(chunks(args.megabytes)), ImportSettings("UTC")
    )
    outcomes = [(o.line, o.rejection or "imported") for o in stream.outcomes]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"one line of {args.megabytes} MiB: {seconds:.2f} s, peak RSS {peak:.0f} MiB")
    for line, outcome in outcomes:
        print(f"  line {line}: {outcome[:100]}")


if __name__ == "__main__":
    main()
