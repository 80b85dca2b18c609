"""bench.attack's reading of answers: what counts as a failed defence (the attacks themselves run in
tests/serve/test_server.py against a real server)."""

from __future__ import annotations

from collections import Counter

from bench.attack import _counts, _status, failures


def test_answers_are_read_as_status_and_json_error_code() -> None:
    assert _status(b'HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\n\r\n{"error":"too_large"}') \
        == "413 too_large"
    assert _status(b"HTTP/1.1 200 OK\r\n\r\n{}") == "200"
    assert _status(b"HTTP/1.1 500 Internal Server Error\r\n\r\nInternal Server Error") == "500 (not JSON)"
    assert _status(b"") == _status(b"reset") == "reset"
    assert _counts(Counter({"413 too_large": 8, "200": 1})) == "1 x 200, 8 x 413 too_large"


def test_a_5xx_a_reset_or_plain_text_fails_the_row_and_a_shutdown_503_does_not() -> None:
    rows = [{"attack": attack, "answers": answers} for attack, answers in (
        ("ok", "1 x 200, 8 x 408 timeout"), ("stop", "8 x 503 shutting_down"),
        ("crash", "3 x 422 invalid_input, 1 x 500 internal_error"), ("reset", "8 x reset"),
        ("text", "1 x 400 (not JSON)"))]
    assert failures(rows) == ["crash", "reset", "text"]


def test_open_inference_protocol_errors_are_read_without_their_message() -> None:
    """/v2's errors are {"error": message}: the row says "{error}", not the sentence; a 5xx still fails."""
    assert _status(b'HTTP/1.1 400 Bad Request\r\n\r\n{"error":"input \'images\': shape must be [-1, 28, 28]"}') \
        == "400 {error}"
    assert _status(b'HTTP/1.1 400 Bad Request\r\n\r\n["not", "an object"]') == "400 (not JSON)"
    assert failures([{"attack": "v2", "answers": "8 x 400 {error}"},
                     {"attack": "v2 crash", "answers": "1 x 500 {error}"}]) == ["v2 crash"]
