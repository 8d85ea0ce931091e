"""Python client of the apportion credit service (``apportion serve``).

Standard library only (Python >= 3.9); numpy, when installed, carries the padded arrays of the
binary path without copying them through Python lists.

    from apportion_client import Client
    client = Client("http://127.0.0.1:8080")
    credit = client.assign(rollouts, "grpo", preset="verl")          # list of dicts in, list of dicts out
    adv = client.advantages_from_padded(scores, response_mask, index, "grpo")   # verl's padded layout
    report = client.validate(rollouts)                                # pre-flight findings

Every error of the service raises :class:`ApportionError` with the HTTP status, the service's
one-line message (the one ``apportion assign`` prints) and, for a JSONL body, the line.
The binary layout is documented in docs/binary-format.md of the apportion repository.
"""

import json
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
from array import array
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

try:  # numpy is optional: it only speeds up and shapes the padded (binary) path
    import numpy as _np
except ImportError:  # pragma: no cover - exercised on machines without numpy
    _np = None

__all__ = ["Client", "ApportionError", "encode_padded", "decode_padded", "HAS_NUMPY"]

HAS_NUMPY = _np is not None
NDJSON = "application/x-ndjson"
PADDED = "application/vnd.apportion.padded"
_MAGIC = b"APB1"
_HEADER = struct.Struct("<4sIIIII")


class ApportionError(Exception):
    """An error answer of the service (or a transport failure, status 0)."""

    def __init__(self, status: int, message: str, line: Optional[int] = None):
        super().__init__(message if line is None else "%s (line %d)" % (message, line))
        self.status = status
        self.message = message
        self.line = line


def _param_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(_param_text(x) for x in v)
    return repr(v) if isinstance(v, float) else str(v)


def _query(estimator: Optional[str], preset: Optional[str], params: Mapping[str, Any]) -> str:
    q: List[Tuple[str, str]] = []
    if estimator is not None:
        q.append(("estimator", estimator))
    if preset is not None:
        q.append(("preset", preset))
    for k, v in params.items():
        q.append(("param." + k, _param_text(v)))
    return ("?" + urllib.parse.urlencode(q)) if q else ""


# ---- the binary layout ------------------------------------------------------------------------

def _pad4(buf: bytearray) -> None:
    while len(buf) % 4:
        buf.append(0)


def _le(a: array) -> bytes:
    if sys.byteorder == "big":
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


def _group_ids(index: Sequence[Any]) -> List[int]:
    """verl's index holds one uid per row (strings or ints); rows of a group share it."""
    if _np is not None and isinstance(index, _np.ndarray) and index.dtype.kind in "iu" and index.size \
            and int(index.min()) >= -2 ** 31 and int(index.max()) < 2 ** 31:
        return index.astype("<i4").tolist()
    if hasattr(index, "detach"):  # a torch tensor: its values, not its 0-d elements
        index = index.detach().cpu()
    values = index.tolist() if hasattr(index, "tolist") else list(index)
    ids: Dict[Any, int] = {}
    return [ids.setdefault(u, len(ids)) for u in values]


def _flat_floats(a: Any, rows: int, length: Optional[int], what: str) -> bytes:
    if _np is not None:
        arr = _np.asarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a, dtype="<f4")
        want = (rows,) if length is None else (rows, length)
        if arr.shape != want:
            raise ValueError("%s has shape %s, expected %s" % (what, arr.shape, want))
        return _np.ascontiguousarray(arr).tobytes()
    flat = array("f")
    seq = list(a)
    if len(seq) != rows:
        raise ValueError("%s has %d rows, expected %d" % (what, len(seq), rows))
    for r in seq:
        if length is None:
            flat.append(float(r))
        else:
            r = list(r)
            if len(r) != length:
                raise ValueError("%s has a row of %d positions, expected %d" % (what, len(r), length))
            flat.extend(float(x) for x in r)
    return _le(flat)


def _shape2(mask: Any) -> Tuple[int, int]:
    if _np is not None:
        m = _np.asarray(mask.detach().cpu().numpy() if hasattr(mask, "detach") else mask)
        if m.ndim != 2:
            raise ValueError("response_mask must be 2-D (rows x positions), got shape %s" % (m.shape,))
        return int(m.shape[0]), int(m.shape[1])
    rows = list(mask)
    return len(rows), (len(list(rows[0])) if rows else 0)


def encode_padded(response_mask: Any, index: Sequence[Any], scores: Any = None, token_level_rewards: Any = None,
                  row_arrays: Optional[Mapping[str, Any]] = None, token_arrays: Optional[Mapping[str, Any]] = None) -> bytes:
    """A kind-1 body: B x L mask, group index per row, optional scores (B) and token rewards (B x L),
    and further named row arrays (trajectory signals, ``outcome.NAME``) or token arrays (``value``,
    ``logprob``, ...)."""
    rows, length = _shape2(response_mask)
    group = _group_ids(index)
    if len(group) != rows:
        raise ValueError("index has %d entries but response_mask has %d rows" % (len(group), rows))
    rows_named: List[Tuple[str, Any]] = []
    if scores is not None:
        rows_named.append(("outcome", scores))
    rows_named.extend((row_arrays or {}).items())
    tokens_named: List[Tuple[str, Any]] = []
    if token_level_rewards is not None:
        tokens_named.append(("reward", token_level_rewards))
    tokens_named.extend((token_arrays or {}).items())
    buf = bytearray(_HEADER.pack(_MAGIC, 1, rows, length, len(rows_named), len(tokens_named)))
    buf += _le(array("i", group))
    if _np is not None:
        m = _np.asarray(response_mask.detach().cpu().numpy() if hasattr(response_mask, "detach") else response_mask)
        buf += _np.ascontiguousarray(m.astype(_np.uint8, copy=False)).tobytes()
    else:
        for r in response_mask:
            buf += bytes(int(x) for x in r)
    _pad4(buf)
    for name, values in rows_named:
        n = name.encode("utf-8")
        buf += struct.pack("<I", len(n)) + n
        _pad4(buf)
        buf += _flat_floats(values, rows, None, name)
    for name, values in tokens_named:
        n = name.encode("utf-8")
        buf += struct.pack("<I", len(n)) + n
        _pad4(buf)
        buf += _flat_floats(values, rows, length, name)
    return bytes(buf)


def decode_padded(body: bytes) -> Dict[str, Any]:
    """A kind-2 body to {name: rows x positions} (numpy float32 arrays, or lists of lists without numpy)."""
    if len(body) < _HEADER.size:
        raise ApportionError(0, "binary answer: %d bytes, shorter than the header" % len(body))
    magic, kind, rows, length, r, t = _HEADER.unpack_from(body, 0)
    if magic != _MAGIC or kind != 2:
        raise ApportionError(0, "binary answer: not a credit body (magic %r, kind %d)" % (magic, kind))
    pos = _HEADER.size
    out: Dict[str, Any] = {}
    for _ in range(r + t):
        (n,) = struct.unpack_from("<I", body, pos)
        pos += 4
        name = body[pos:pos + n].decode("utf-8")
        pos = (pos + n + 3) & ~3
        count = rows if len(out) < r else rows * length
        chunk = body[pos:pos + 4 * count]
        pos += 4 * count
        if _np is not None:
            a = _np.frombuffer(chunk, dtype="<f4").astype(_np.float32)
            out[name] = a.reshape(rows, length) if count == rows * length else a
        else:
            a = array("f")
            a.frombytes(chunk)
            if sys.byteorder == "big":
                a.byteswap()
            vals = a.tolist()
            out[name] = [vals[i * length:(i + 1) * length] for i in range(rows)] if count == rows * length else vals
    return out


# ---- the client -------------------------------------------------------------------------------

class Client:
    """A connection-less client: each call is one HTTP request to the service at ``url``."""

    def __init__(self, url: str = "http://127.0.0.1:8080", timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, path: str, body: Optional[bytes] = None,
                 content_type: Optional[str] = None) -> Tuple[str, bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                doc = json.loads(raw.decode("utf-8"))
                raise ApportionError(e.code, doc.get("error", raw.decode("utf-8", "replace")), doc.get("line")) from None
            except (ValueError, AttributeError):
                raise ApportionError(e.code, raw.decode("utf-8", "replace").strip() or str(e)) from None
        except urllib.error.URLError as e:
            raise ApportionError(0, "cannot reach the apportion service at %s: %s" % (self.url, e.reason)) from None

    # -- reading the service

    def health(self) -> bool:
        """True when the service answers /healthz with status ok."""
        try:
            return json.loads(self._request("GET", "/healthz")[1])["status"] == "ok"
        except ApportionError:
            return False

    def estimators(self) -> List[Dict[str, Any]]:
        """The registry, as ``apportion estimators --json``."""
        return json.loads(self._request("GET", "/v1/estimators")[1])

    # -- rollout JSONL

    @staticmethod
    def _jsonl(rollouts: Iterable[Mapping[str, Any]]) -> bytes:
        return "".join(json.dumps(r, allow_nan=False, separators=(",", ":")) + "\n" for r in rollouts).encode("utf-8")

    def assign_jsonl(self, body: Union[str, bytes], estimator: str, preset: Optional[str] = None, **params: Any) -> str:
        """Rollout JSONL text in, credit JSONL text out (identical to ``apportion assign``)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self._request("POST", "/v1/credit" + _query(estimator, preset, params), data, NDJSON)[1].decode("utf-8")

    def assign(self, rollouts: Iterable[Mapping[str, Any]], estimator: str, preset: Optional[str] = None,
               **params: Any) -> List[Dict[str, Any]]:
        """Rollouts as dicts (rollout JSONL v1, one dict per trajectory) in, one credit dict per
        trajectory out, in order: ``advantages`` per token, and ``returns``, ``span_advantages``,
        ``loss_weight``, ``clip_scale`` when the estimator has them."""
        text = self.assign_jsonl(self._jsonl(rollouts), estimator, preset, **params)
        return [json.loads(line) for line in text.splitlines() if line]

    # -- verl's padded layout

    def advantages_from_padded(self, rewards: Any, response_mask: Any, index: Sequence[Any], estimator: str = "grpo",
                               preset: Optional[str] = None, values: Any = None,
                               token_signals: Optional[Mapping[str, Any]] = None,
                               row_signals: Optional[Mapping[str, Any]] = None,
                               return_returns: bool = False, **params: Any):
        """Credit for a batch in verl's padded layout, over the binary body.

        ``rewards`` is either verl's ``scores`` (shape B: one outcome per row) or its
        ``token_level_rewards`` (shape B x L); ``response_mask`` is B x L (1 = response token);
        ``index`` holds one group uid per row. ``values`` (B x L) feeds critic-based estimators;
        ``token_signals`` / ``row_signals`` pass any further named signals. Returns the B x L
        advantages (numpy float32 when numpy is installed, else lists), or (advantages, returns)
        with ``return_returns=True`` (returns is None when the estimator has none)."""
        rows, length = _shape2(response_mask)
        two_d = _is_2d(rewards)
        tokens = dict(token_signals or {})
        if values is not None:
            tokens["value"] = values
        body = encode_padded(response_mask, index, scores=None if two_d else rewards,
                             token_level_rewards=rewards if two_d else None, row_arrays=row_signals, token_arrays=tokens)
        ctype, raw = self._request("POST", "/v1/credit" + _query(estimator, preset, params), body, PADDED)
        credit = decode_padded(raw)
        if return_returns:
            return credit["advantages"], credit.get("returns")
        return credit["advantages"]

    def sequence_advantages(self, scores: Any, index: Sequence[Any], estimator: str = "grpo",
                            preset: Optional[str] = None, **params: Any):
        """One advantage per sequence (TRL's layout): each row is a single response token."""
        n = len(scores)
        mask = _np.ones((n, 1), dtype=_np.uint8) if _np is not None else [[1] for _ in range(n)]
        adv = self.advantages_from_padded(scores, mask, index, estimator, preset, **params)
        return adv[:, 0] if _np is not None else [row[0] for row in adv]

    # -- pre-flight

    def validate(self, rollouts: Optional[Iterable[Mapping[str, Any]]] = None, *, response_mask: Any = None,
                 index: Optional[Sequence[Any]] = None, rewards: Any = None, values: Any = None,
                 estimator: Optional[str] = None, preset: Optional[str] = None, **params: Any) -> Dict[str, Any]:
        """Findings on a batch, given as rollout dicts or in the padded layout (``response_mask``,
        ``index``, ``rewards`` as scores or token rewards). With ``estimator``, also whether that
        estimator accepts the batch. Returns ``{"ok", "summary", "counts", "findings"}``; an
        unreadable batch is a finding, not an exception."""
        q = _query(estimator, preset, params)
        if rollouts is not None:
            raw = self._request("POST", "/v1/validate" + q, self._jsonl(rollouts), NDJSON)[1]
        else:
            if response_mask is None or index is None:
                raise ValueError("validate needs rollouts, or response_mask and index")
            two_d = rewards is not None and _is_2d(rewards)
            body = encode_padded(response_mask, index, scores=None if two_d else rewards,
                                 token_level_rewards=rewards if two_d else None,
                                 token_arrays={"value": values} if values is not None else None)
            raw = self._request("POST", "/v1/validate" + q, body, PADDED)[1]
        return json.loads(raw)


def _is_2d(a: Any) -> bool:
    if hasattr(a, "ndim"):
        return int(a.ndim) == 2
    seq = list(a)
    return bool(seq) and isinstance(seq[0], (list, tuple))
