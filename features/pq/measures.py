"""What the PQ suite measures, and the one place that holds a measurement against its criterion.

Pure functions (no pytest, no AWS): the step definitions feed them what they read from the live
platform, and the unit tests feed them made-up numbers. Every criterion comes from the specification
(``features/requirements.yaml``); :func:`judge` names the requirement and the threshold in its verdict,
so a tightened criterion fails naming exactly what it tightened.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from features.support import independent_auc, specification
from harness.validation.charts import percentile  # the one percentile (linear interpolation)
from harness.validation.requirements import RequirementSet

#: How a measurement is held against its threshold.
AT_LEAST, AT_MOST = "at least", "at most"


# ============================================================================ model performance


def brier_score(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mean squared difference between the predicted probability and the 0/1 outcome."""
    y, p = np.asarray(labels, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    return float(np.mean((p - y) ** 2))


def expected_calibration_error(labels: np.ndarray, scores: np.ndarray, bins: int) -> dict[str, Any]:
    """ECE over ``bins`` equal-width probability bins: sum of |observed rate - mean score| weighted by
    the bin's share of rows. Returns the value with the reliability table it came from."""
    y, p = np.asarray(labels, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    index = np.clip(np.digitize(p, edges[1:-1], right=True), 0, int(bins) - 1)
    table, ece = [], 0.0
    for b in range(int(bins)):
        mask = index == b
        n = int(mask.sum())
        if not n:
            continue
        observed, predicted = float(y[mask].mean()), float(p[mask].mean())
        ece += n / len(y) * abs(observed - predicted)
        table.append(
            {
                "bin": f"[{edges[b]:.2f}, {edges[b + 1]:.2f}]",
                "rows": n,
                "mean_score": round(predicted, 4),
                "observed_rate": round(observed, 4),
            }
        )
    return {"ece": float(ece), "bins": int(bins), "reliability": table}


def parse_bands(text: str) -> list[tuple[float, float]]:
    """``"18-44,45-64,65-90"`` -> ``[(18, 44), (45, 64), (65, 90)]`` (inclusive ages)."""
    bands = []
    for part in str(text).split(","):
        low, _, high = part.strip().partition("-")
        bands.append((float(low), float(high)))
    return bands


def auc_by_band(
    ages: np.ndarray, labels: np.ndarray, scores: np.ndarray, bands: Sequence[tuple[float, float]]
) -> list[dict[str, Any]]:
    """The AUC of each age band (inclusive bounds) with its row and positive counts."""
    out = []
    for low, high in bands:
        mask = (ages >= low) & (ages <= high)
        y = labels[mask]
        positives = int((y == 1).sum())
        both = positives and positives < len(y)
        out.append(
            {
                "band": f"{low:g}-{high:g}",
                "rows": int(mask.sum()),
                "positives": positives,
                "auc": independent_auc(y, scores[mask]) if both else None,
            }
        )
    return out


# ================================================================================== load


@dataclasses.dataclass
class Call:
    """One timed request: when it started (seconds into the run), how long it took, and its error."""

    started: float
    ms: float
    error: str | None = None


@dataclasses.dataclass
class LoadResult:
    calls: list[Call]
    clients: int
    seconds: float
    duration: float | None = None  # the planned duration of a sustained load

    def summary(self, calls: Sequence[Call] | None = None) -> dict[str, Any]:
        return summarise(self.calls if calls is None else calls)

    def windows(self, window: float) -> list[dict[str, Any]]:
        """The calls grouped by the window (of ``window`` seconds) they started in, each summarised."""
        count = max(1, int(np.ceil((self.duration or self.seconds) / window - 1e-9)))
        groups: list[list[Call]] = [[] for _ in range(count)]
        for call in self.calls:
            groups[min(count - 1, int(call.started // window))].append(call)
        return [
            {"window": f"{i * window:g}-{(i + 1) * window:g}s", **summarise(g)} for i, g in enumerate(groups)
        ]


def summarise(calls: Sequence[Call]) -> dict[str, Any]:
    """Requests, errors, error rate and latency percentiles (the report's, linear interpolation)."""
    ms = np.asarray([c.ms for c in calls if c.error is None], dtype=np.float64)
    errors = [c.error for c in calls if c.error is not None]
    ordered = sorted(float(v) for v in ms)
    return {
        "requests": len(calls),
        "errors": len(errors),
        "error_rate": len(errors) / len(calls) if calls else float("nan"),
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": float(ms.max()) if len(ms) else float("nan"),
        "first_errors": sorted(set(errors))[:3],
    }


Invoker = Callable[[int], None]


def run_load(
    make_invoker: Callable[[], Invoker],
    *,
    clients: int,
    requests: int | None = None,
    duration: float | None = None,
) -> LoadResult:
    """``clients`` concurrent clients (one invoker each) sending either ``requests`` requests in all or
    as many as they can for ``duration`` seconds. The invoker gets the request's sequence number and
    raises on any error; the error's class name and message are what the result records."""
    if (requests is None) == (duration is None):
        raise ValueError("give either requests or duration")
    lock = threading.Lock()
    counter = iter(range(requests if requests is not None else 10**12))
    calls: list[Call] = []
    start = time.perf_counter()
    stop_at = start + duration if duration is not None else float("inf")

    def worker() -> None:
        invoke = make_invoker()
        while True:
            with lock:
                n = next(counter, None)
            if n is None or time.perf_counter() >= stop_at:
                return
            t0 = time.perf_counter()
            error = None
            try:
                invoke(n)
            except Exception as exc:  # every failure counts as an error of the load
                error = f"{type(exc).__name__}: {str(exc)[:120]}"
            t1 = time.perf_counter()
            with lock:
                calls.append(Call(started=t0 - start, ms=(t1 - t0) * 1000.0, error=error))

    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    return LoadResult(calls=calls, clients=clients, seconds=time.perf_counter() - start, duration=duration)


# ============================================================================ reproducibility


def max_abs_difference(a: Iterable[float], b: Iterable[float]) -> float:
    x, y = np.asarray(list(a), dtype=np.float64), np.asarray(list(b), dtype=np.float64)
    if x.shape != y.shape:
        return float("inf")
    return float(np.max(np.abs(x - y))) if x.size else 0.0


# ============================================================================== the criterion


@dataclasses.dataclass(frozen=True)
class Verdict:
    requirement: str
    criterion: str
    measured: float
    threshold: float
    direction: str
    met: bool

    def describe(self) -> str:
        sign = ">=" if self.direction == AT_LEAST else "<="
        word = "met" if self.met else "NOT met"
        return (
            f"{self.requirement} criterion {self.criterion} {word}: measured {self.measured:.6g}, "
            f"required {sign} {self.threshold:g}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "verdict": self.describe()}


def judge(
    requirement: str,
    criterion: str,
    measured: float | None,
    direction: str,
    *,
    spec: RequirementSet | None = None,
    environment: str | None = None,
) -> Verdict:
    """Hold ``measured`` against threshold ``criterion`` of ``requirement`` in the specification.

    A missing or NaN measurement never meets a criterion."""
    spec = spec or specification()
    limit = float(spec.threshold(requirement, criterion, environment))
    value = float("nan") if measured is None else float(measured)
    ok = value == value and (value >= limit if direction == AT_LEAST else value <= limit)
    return Verdict(requirement, criterion, value, limit, direction, bool(ok))


def require(verdicts: Iterable[Verdict], evidence: Any = None, name: str = "Criteria") -> list[Verdict]:
    """Attach every verdict, then fail naming each criterion that is not met."""
    verdicts = list(verdicts)
    if evidence is not None:
        evidence.attach(name, [v.to_dict() for v in verdicts])
    failed = [v.describe() for v in verdicts if not v.met]
    assert not failed, "; ".join(failed)
    return verdicts


#: Measurement phrases of the steps -> (key in the measurement, direction of its criterion).
MEASURES: dict[str, tuple[str, str]] = {
    "ROC AUC": ("auc", AT_LEAST),
    "Brier score": ("brier", AT_MOST),
    "expected calibration error": ("ece", AT_MOST),
    "error rate": ("error_rate", AT_MOST),
    "p95 latency": ("p95_ms", AT_MOST),
    "p99 latency": ("p99_ms", AT_MOST),
    "prediction difference": ("max_abs_difference", AT_MOST),
}


def meets(
    measure: str, requirement: str, criterion: str, measured: Mapping[str, Any], evidence: Any
) -> Verdict:
    """Step logic of "the <measure> meets the <requirement> criterion <criterion>"."""
    key, direction = MEASURES[measure]
    return require([judge(requirement, criterion, measured.get(key), direction)], evidence)[0]


def rejects(
    measure: str, requirement: str, criterion: str, measured: Mapping[str, Any], evidence: Any
) -> Verdict:
    """Step logic of a negative scenario's "the <measure> fails the <requirement> criterion <criterion>":
    the criterion must reject the measurement, else the scenario fails (the control accepted it)."""
    key, direction = MEASURES[measure]
    verdict = judge(requirement, criterion, measured.get(key), direction)
    if evidence is not None:
        evidence.attach("CriterionRejects", verdict.to_dict())
    assert not verdict.met, f"the criterion accepted what it must reject: {verdict.describe()}"
    return verdict


def spec_value(requirement: str, name: str, spec: RequirementSet | None = None) -> Any:
    """A non-criterion setting of the specification (load shape, bins, bands, tolerance)."""
    return (spec or specification()).threshold(requirement, name)
