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
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nmt_assess.engine import SCHEMA_VERSION, Engine
from nmt_assess.engine.document import AssessmentDocument, Detail, SummaryDocument
from nmt_assess.models import Action, Intake, Ruleset
from nmt_assess.readers.records import (
    RawRecord,
    fast_document,
    record_intake_id,
    validate_record,
)
from nmt_assess.writers.base import WrittenBlock
from nmt_assess.writers.files import STOP_SIGNALS, signals_held

if TYPE_CHECKING:
    from nmt_assess.readers.inputs import Input, Span

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
    jobs: int | None,
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
    records: Iterable[RawRecord],
    ruleset: Ruleset,
    jobs: int | None,
    only_jsonl: bool,
    detail: Detail,
) -> Iterator[Record]:
    iterator = iter(records)
    # Up to one chunk per worker is read ahead, so no more workers start than there are chunks.
    cores = default_jobs()
    head = list(itertools.islice(_chunks(iterator), min(jobs or cores, cores)))
    workers = worker_count(jobs, len(head))
    if workers <= 1:
        # Small inputs are scored here: starting processes would cost more than it saves.
        size = sum(len(chunk) for chunk in head)
        scorer = ChunkScorer(ruleset, size >= VECTORISE_FROM, detail)
        for chunk in itertools.chain(head, _chunks(iterator)):
            yield from scorer.score(chunk)
        return
    chunks = itertools.chain(head, _chunks(iterator))
    # For JSON Lines the workers write each chunk as one block, so the main process (the
    # bottleneck on few cores) only passes blocks on: unpickling a document cost about 45 us.
    task = _write_chunk if only_jsonl else _score_chunk
    for result in _in_order(chunks, task, ruleset, workers, detail):
        if type(result) is WrittenBlock:
            yield result
        else:
            yield from result


def worker_count(jobs: int | None, chunks: int) -> int:
    """Processes worth starting: no more than asked (None: as many as pay), than the cores we
    may run on, or than there are chunks to score (a thousand workers for two chunks only
    cost time)."""
    cores = default_jobs()
    return max(1, min(jobs or cores, cores, chunks))


def shared_spans(inputs: Sequence[Input], jobs: int | None) -> list[Span] | None:
    """The inputs cut into spans of whole lines for worker processes to read, score and write
    on their own, or None when they are scored the other way: one process pays best (one
    core, --jobs 1, one chunk), or an input is not a JSON Lines file that can be read twice
    (standard input, a pipe). Raises InputError for a file that cannot be read."""
    from nmt_assess.readers.inputs import jsonl_spans

    if worker_count(jobs, 2) <= 1:
        return None
    if not all(i.kind == "jsonl" and i.path is not None and i.path.is_file() for i in inputs):
        return None
    spans = [span for source in inputs for span in jsonl_spans(source, CHUNK_SIZE)]
    return spans if worker_count(jobs, len(spans)) > 1 else None


def score_spans(
    spans: Sequence[Span], ruleset: Ruleset, jobs: int | None, detail: Detail = "full"
) -> Generator[WrittenBlock, None, None]:
    """Each span read, scored and written as JSON Lines by a worker process, as one block per
    span, in input order: the main process only orders the blocks."""
    workers = worker_count(jobs, len(spans))
    with _fewer_collections():
        yield from _in_order(iter(spans), _write_span, ruleset, workers, detail)


def _in_order(
    tasks: Iterator[Any],
    work: Callable[[Any], Any],
    ruleset: Ruleset,
    workers: int,
    detail: Detail,
) -> Iterator[Any]:
    """`work` done on each task by worker processes, its results taken in task order, with a
    bounded number of tasks in flight (memory stays flat)."""
    pending: deque[Future[Any]] = deque()
    limit = workers * CHUNKS_PER_WORKER
    initargs = (ruleset, detail, os.getpid())
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=initargs)
    finished = False
    try:
        for task in tasks:
            if len(pending) >= limit:
                yield pending.popleft().result()
            if pending:
                pending.append(pool.submit(work, task))
                continue
            # The first submit forks the workers: a signal handled mid-fork would be lost in
            # the fork hooks or leave the pool half built, so it waits until the fork is done.
            with signals_held():
                pending.append(pool.submit(work, task))
        while pending:
            yield pending.popleft().result()
        finished = True
    finally:
        # Stopped early (an error, a closed pipe, a signal): drop the tasks not yet started.
        pool.shutdown(wait=True, cancel_futures=not finished)


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


def _write_chunk(chunk: list[RawRecord]) -> WrittenBlock:
    assert _worker_scorer is not None
    return _block(_worker_scorer.score(chunk))


def _write_span(span: Span) -> WrittenBlock:
    from nmt_assess.readers.inputs import read_span

    assert _worker_scorer is not None
    return _block(_worker_scorer.score(list(read_span(span))))


def _block(records: Iterable[Record]) -> WrittenBlock:
    """The records as one block of JSON Lines, with what the batch summary reads of them."""
    import orjson

    lines = []
    scored = failed = 0
    most_severe: Counter[str] = Counter()
    for record in records:
        lines.append(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        if "errors" in record:
            failed += 1
            continue
        scored += 1
        if record["red_flags"]:
            most_severe[record["red_flags"][0]["action"]] += 1
    return WrittenBlock(b"".join(lines), scored, failed, dict(most_severe))


def default_jobs() -> int:
    """The cores this process may run on."""
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
        if type(record) is WrittenBlock:
            self.scored += record["scored"]
            self.failed += record["failed"]
            self.most_severe.update(record["most_severe"])
            return
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
