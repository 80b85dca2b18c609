"""What `infogan infer` prints: one row per file, as a table, CSV, JSON lines or one JSON array, streamed.

Every row has the same keys: file, digit, probability, probabilities (one per digit), continuous
({code name: value}) and error (None when the file was read; else the other values are None); for a model with an
"is this one of mine" score, the score and its decision too (digit_score and is_digit on MNIST models, domain_score
and in_domain on others); with `realness` (infer --realness), realness after continuous. A model whose categorical
codes are not digits has classes ({code name: label}) and class_probabilities ({code name: probability of that
label}) in place of digit, probability and probabilities.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from infogan_sdk.results import FileBatch

FORMATS = ("table", "csv", "jsonl", "json")
MNIST_ANSWER = ("digit_score", "is_digit")  # an MNIST model's score and decision columns
ANSWER = ("domain_score", "in_domain")  # any other model's
Row = dict[str, Any]


def rows(batch: FileBatch, answer: Sequence[str] = (), realness: bool = False, classes: bool = False
         ) -> Iterator[Row]:
    """The rows of one chunk of files, in input order (from `InferResult.to_records`); `answer`: the names of the
    model's score and decision (MNIST_ANSWER or ANSWER; () for a model without a score), which every row then has
    (None for a file that failed; no decision without a threshold); `realness`: every row has the discriminator's
    realness too (asked for: it is deprecated in the bundled models); `classes`: the model's codes are read as
    classes, not digits."""
    records = iter(batch.result.to_records() if batch.result is not None else [])
    for file, error in zip(batch.files, batch.errors, strict=True):
        record = next(records) if error is None else {}
        scores = {name: record[name] for name in answer if name in record} if error is None else dict.fromkeys(answer)
        if classes:
            yield {"file": file, "classes": record.get("classes"), "class_probabilities": record.get(
                "class_probabilities"), "continuous": record.get("continuous"),
                **({"realness": record.get("realness")} if realness else {}), **scores, "error": error}
            continue
        if error is not None:
            yield {"file": file, "digit": None, "probability": None, "probabilities": None, "continuous": None,
                   **({"realness": None} if realness else {}), **scores, "error": error}
            continue
        yield {"file": file, "digit": record["digit"], "probability": record["probability"],
               "probabilities": [round(p, 6) for p in record["probabilities"]], "continuous": record["continuous"],
               **({"realness": record["realness"]} if realness else {}), **scores, "error": None}


class RowWriter:
    """Writes rows to `stream` in one of FORMATS as they come; `close()` ends a JSON array."""

    def __init__(self, stream: TextIO, form: str, names: Sequence[str], digits: int, answer: Sequence[str] = (),
                 realness: bool = False, classes: Sequence[str] = ()) -> None:
        """names: the continuous codes' names; digits: how many digit probabilities each row has; answer: the
        names of the score and decision the rows have (`rows`); realness: they have realness; classes: the
        categorical codes' names, for rows of classes (`rows(..., classes=True)`)."""
        self._stream, self._form, self._names, self._digits = stream, form, list(names), digits
        self._classes = list(classes)
        self._answer, self._realness = list(answer), realness
        self._scored = bool(answer)
        self._count, self._width = 0, 0
        self._csv = csv.writer(stream) if form == "csv" else None

    def write(self, chunk: list[Row]) -> None:
        if not chunk:
            return
        if self._count == 0:
            self._header(chunk)
        for row in chunk:
            self._write(row)
            self._count += 1

    def close(self) -> None:
        if self._form == "json":
            self._stream.write("[]\n" if self._count == 0 else "\n]\n")

    def _header(self, chunk: list[Row]) -> None:
        if self._classes and self._form in ("table", "csv"):
            self._class_header(chunk)
        elif self._form == "table":
            self._width = max(len("file"), *(len(row["file"]) for row in chunk))  # the first chunk sets it
            self._stream.write(f"{'file':<{self._width}}  digit  probability"
                               + "".join(f"  {n:>9}" for n in self._names) + ("  realness" if self._realness else "")
                               + "".join(f"  {name}" for name in self._answer[1:]) + "\n")
        elif self._csv is not None:
            self._csv.writerow(["file", "digit", "probability", *self._names, *(["realness"] * self._realness),
                                *(f"p{d}" for d in range(self._digits)),
                                *self._answer, "error"])
        elif self._form == "json":
            self._stream.write("[\n")

    def _class_header(self, chunk: list[Row]) -> None:
        if self._csv is not None:
            self._csv.writerow(["file", *(part for name in self._classes for part in (name, f"p_{name}")),
                                *self._names, *(["realness"] * self._realness), *self._answer, "error"])
            return
        self._width = max(len("file"), *(len(row["file"]) for row in chunk))
        self._stream.write(f"{'file':<{self._width}}" + "".join(f"  {name:>16}  {'p':>5}" for name in self._classes)
                           + "".join(f"  {n:>9}" for n in self._names) + ("  realness" if self._realness else "")
                           + "".join(f"  {name}" for name in self._answer[1:]) + "\n")

    def _class_row(self, row: Row) -> None:
        if self._csv is not None:
            values = [part for name in self._classes for part in (row["classes"][name],
                                                                   row["class_probabilities"][name])] \
                if not row["error"] else [""] * (2 * len(self._classes))
            rest = [*row["continuous"].values(), *([row["realness"]] if self._realness else []),
                    *(row.get(name) for name in self._answer)] \
                if not row["error"] else [""] * (len(self._names) + self._realness + len(self._answer))
            self._csv.writerow([row["file"], *values, *rest, row["error"] or ""])
        elif row["error"]:
            self._stream.write(f"{row['file']:<{self._width}}  error: {row['error']}\n")
        else:
            self._stream.write(f"{row['file']:<{self._width}}" + "".join(
                f"  {row['classes'][n]:>16}  {row['class_probabilities'][n]:>5.3f}" for n in self._classes)
                + "".join(f"  {v:>9.3f}" for v in row["continuous"].values())
                + (f"  {row['realness']:>8.3f}" if self._realness else "") + self._decision(row) + "\n")

    def _decision(self, row: Row) -> str:
        """The table's last column: yes or no (- without a threshold), under the decision's name; "" without one."""
        if not self._scored:
            return ""
        decision = row.get(self._answer[1])
        return f"  {'-' if decision is None else 'yes' if decision else 'no':>{max(8, len(self._answer[1]))}}"

    def _write(self, row: Row) -> None:
        if self._classes and self._form in ("table", "csv"):
            self._class_row(row)
        elif self._form == "jsonl":
            self._stream.write(json.dumps(row) + "\n")
        elif self._form == "json":
            self._stream.write(("" if self._count == 0 else ",\n") + json.dumps(row))
        elif self._csv is not None:
            if row["error"]:
                blanks = len(self._names) + 2 + self._realness + self._digits + len(self._answer)
                self._csv.writerow([row["file"], *[""] * blanks, row["error"]])
            else:
                scores = [row.get(name) for name in self._answer]
                self._csv.writerow([row["file"], row["digit"], row["probability"], *row["continuous"].values(),
                                    *([row["realness"]] if self._realness else []), *row["probabilities"], *scores,
                                    ""])
        elif row["error"]:
            self._stream.write(f"{row['file']:<{self._width}}  error: {row['error']}\n")
        else:
            probability = "" if row["probability"] is None else f"{row['probability']:.3f}"
            digit = str(row["digit"])
            if self._scored and row.get(self._answer[1]) is False:  # not one of the model's: the best guess in
                digit, probability = f"({digit})", f"({probability})"  # brackets, not a confident answer
            self._stream.write(f"{row['file']:<{self._width}}  {digit:>5}  {probability:>11}"
                               + "".join(f"  {v:>9.3f}" for v in row["continuous"].values())
                               + (f"  {row['realness']:>8.3f}" if self._realness else "") + self._decision(row) + "\n")
