"""Batch scoring: records stream in, are scored (in parallel when it pays), and stream out in
input order. One input record gives exactly one output record: an assessment or an error."""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from nmt_assess.engine import SCHEMA_VERSION, Engine
from nmt_assess.engine.document import AssessmentDocument, Detail, SummaryDocument
from nmt_assess.models import Action, Intake, Ruleset
from nmt_assess.readers.records import (
    RawRecord,
    fast_document,
    record_intake_id,
    validate_record,
)
from nmt_assess.writers.base import WrittenRecord
from nmt_assess.writers.files import STOP_SIGNALS, signals_held

#: Records scored together: enough for numpy's per-call cost to fade, few enough for flat memory.
CHUNK_SIZE = 2000
#: Below this many records the plain engine is quicker than importing numpy.
VECTORISE_FROM = 200
#: Chunks in flight per worker: enough to keep workers busy, few enough to keep memory flat.
CHUNKS_PER_WORKER = 2
#: How often a worker checks that the main process is alive, where the kernel cannot tell it.
PARENT_CHECK_SECONDS = 1.0

Record = dict[str, Any]


def score_record(engine: Engine, raw: RawRecord, detail: Detail = "full") -> Record:
    """The assessment as its JSON document at that detail (with `source`), or an error record."""
    result = validate_record(raw, engine.ruleset.findings)
    if isinstance(result, Intake):
        document = engine.assess(result, detail)
        document["source"] = raw.origin.as_dict()
        return document
    return {
        "schema_version": SCHEMA_VERSION,
        "intake_id": record_intake_id(raw),
        "source": raw.origin.as_dict(),
        "errors": [
            {"line": p.line, "field": p.field, "message": p.message, "hint": p.hint} for p in result
        ],
    }


class ChunkScorer:
    """Scores chunks of records: plain valid intakes evaluated with numpy (engine.batch), any
    other record one by one with the scalar engine and the validator; one document builder
    explains both."""

    def __init__(self, ruleset: Ruleset, vectorise: bool, detail: Detail = "full") -> None:
        self.engine = Engine(ruleset)
        self.fast = _batch_evaluator(self.engine) if vectorise else None
        self.detail = detail

    def score(self, chunk: list[RawRecord]) -> Iterator[Record]:
        """The chunk's records, in order; each is built as it is taken."""
        engine, detail = self.engine, self.detail
        if self.fast is None:
            yield from (score_record(engine, _reference_read(raw), detail) for raw in chunk)
            return
        assessed = self.fast.assess_documents([fast_document(raw) for raw in chunk], detail)
        for raw, document in zip(chunk, assessed, strict=True):
            if document is None:
                yield score_record(engine, _reference_read(raw), detail)
                continue
            document["source"] = raw.origin.as_dict()
            yield _record(document)


def _record(document: AssessmentDocument | SummaryDocument) -> Record:
    return document  # type: ignore[return-value]


def _batch_evaluator(engine: Engine) -> Any:
    from nmt_assess.engine.batch import BatchEvaluator, Unsupported

    try:
        return BatchEvaluator(engine.pack)
    except Unsupported:  # a test on a finding of the wrong type (lint rejects it): the plain way
        return None


def _reference_read(raw: RawRecord) -> RawRecord:
    """A record the fast path declined, read again as the reference reader reads it."""
    if raw.line_bytes is None:
        return raw
    from nmt_assess.readers.documents import reference_jsonl_record

    origin = raw.origin
    assert origin.line is not None
    return reference_jsonl_record(raw.line_bytes, origin.file, origin.line, origin.record)


def score_stream(
    records: Iterable[RawRecord],
    ruleset: Ruleset,
    jobs: int,
    only_jsonl: bool = False,
    detail: Detail = "full",
) -> Generator[Record, None, None]:
    """Score every record, in input order, with up to `jobs` processes, into documents at that
    detail. With `only_jsonl` the records are only written as JSON Lines: worker processes
    then write them too."""
    with _fewer_collections():
        yield from _score_stream(records, ruleset, jobs, only_jsonl, detail)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """A batch allocates millions of short-lived, acyclic dicts that reference counting frees;
    the cycle collector's default pace (every 700 allocations) spent an eighth of the time."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _score_stream(
    records: Iterable[RawRecord], ruleset: Ruleset, jobs: int, only_jsonl: bool, detail: Detail
) -> Iterator[Record]:
    iterator = iter(records)
    # Up to one chunk per worker is read ahead, so no more workers start than there are chunks.
    head = list(itertools.islice(_chunks(iterator), max(1, min(jobs, default_jobs()))))
    workers = worker_count(jobs, len(head))
    if workers <= 1:
        # Small inputs are scored here: starting processes would cost more than it saves.
        size = sum(len(chunk) for chunk in head)
        scorer = ChunkScorer(ruleset, size >= VECTORISE_FROM, detail)
        for chunk in itertools.chain(head, _chunks(iterator)):
            yield from scorer.score(chunk)
        return
    chunks = itertools.chain(head, _chunks(iterator))
    yield from _parallel(chunks, ruleset, workers, only_jsonl, detail)


def worker_count(jobs: int, chunks: int) -> int:
    """Processes worth starting: no more than asked, than the cores we may run on, or than
    there are chunks to score (a thousand workers for two chunks only cost time)."""
    return max(1, min(jobs, default_jobs(), chunks))


def _parallel(
    chunks: Iterator[list[RawRecord]],
    ruleset: Ruleset,
    jobs: int,
    only_jsonl: bool,
    detail: Detail,
) -> Iterator[Record]:
    """Chunks scored by worker processes, results taken in input order. For JSON Lines the
    workers also write each record, so the main process (the bottleneck on few cores) only
    passes lines on: unpickling a whole document cost about 45 us."""
    pending: deque[Future[list[Any]]] = deque()
    limit = jobs * CHUNKS_PER_WORKER
    score = _write_chunk if only_jsonl else _score_chunk
    initargs = (ruleset, detail, os.getpid())
    pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=initargs)
    finished = False
    try:
        for chunk in chunks:
            if len(pending) >= limit:
                yield from _results(pending.popleft().result())
            if pending:
                pending.append(pool.submit(score, chunk))
                continue
            # The first submit forks the workers: a signal handled mid-fork would be lost in
            # the fork hooks or leave the pool half built, so it waits until the fork is done.
            with signals_held():
                pending.append(pool.submit(score, chunk))
        while pending:
            yield from _results(pending.popleft().result())
        finished = True
    finally:
        # Stopped early (an error, a closed pipe, a signal): drop the chunks not yet started.
        pool.shutdown(wait=True, cancel_futures=not finished)


def _results(results: list[Any]) -> Iterator[Record]:
    for result in results:
        yield result if isinstance(result, dict) else WrittenRecord(*result)


def _chunks(records: Iterator[RawRecord]) -> Iterator[list[RawRecord]]:
    while chunk := list(itertools.islice(records, CHUNK_SIZE)):
        yield chunk


# A worker process keeps its scorer between chunks; this is per-process state, set once.
_worker_scorer: ChunkScorer | None = None


def _start_worker(ruleset: Ruleset, detail: Detail, parent: int) -> None:
    global _worker_scorer
    _follow_parent(parent)
    _worker_scorer = ChunkScorer(ruleset, vectorise=True, detail=detail)


def _follow_parent(parent: int) -> None:
    """A worker dies with the main process, however that dies (even kill -9), instead of
    scoring on for nobody. Ctrl-C and SIGTERM are the main process's to handle: it stops the
    pool. On Linux the kernel kills the worker (PR_SET_PDEATHSIG); elsewhere, and as a
    fallback, a thread notices that the parent changed."""
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked while the main process held them
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            set_death_signal = 1  # PR_SET_PDEATHSIG, from <sys/prctl.h>
            ctypes.CDLL(None, use_errno=True).prctl(set_death_signal, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the death signal was set
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _score_chunk(chunk: list[RawRecord]) -> list[Record]:
    assert _worker_scorer is not None
    return list(_worker_scorer.score(chunk))


def _write_chunk(chunk: list[RawRecord]) -> list[tuple[Record, bytes]]:
    """Each record as its JSON Lines line, with what the batch summary needs of it."""
    import orjson

    assert _worker_scorer is not None
    written = []
    for record in _worker_scorer.score(chunk):
        summary = {"errors": True} if "errors" in record else {"red_flags": record["red_flags"][:1]}
        written.append((summary, orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)))
    return written


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Tally:
    """What a batch did, for the summary line and the exit code."""

    scored: int = 0
    failed: int = 0
    most_severe: Counter[str] = field(default_factory=Counter)
    #: What the readers noted on the way (e.g. a CSV's skipped rows), one line each.
    notices: list[str] = field(default_factory=list)

    def add(self, record: Record) -> None:
        if "errors" in record:
            self.failed += 1
            return
        self.scored += 1
        if record["red_flags"]:
            self.most_severe[record["red_flags"][0]["action"]] += 1

    def raised_at_least(self, action: Action) -> bool:
        return any(Action(name).severity <= action.severity for name in self.most_severe)

    def summary(self) -> str:
        serious = self.most_severe["emergency"] + self.most_severe["urgent"]
        return (
            f"nmt-assess: scored {self.scored}, failed {self.failed}; "
            f"{serious} with urgent or emergency red flags"
        )
