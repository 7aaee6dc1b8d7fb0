"""`/metrics` in the Prometheus text format (docs/DEPLOYMENT.md, «Метрики»): requests by endpoint, method and
status, a latency histogram, the database pool, and the gauges other packages register (the jobs' queue).

Where the counters live: with `REDIS_URL` configured, in Redis (one hash per metric; one pipelined round trip
per request), so that N gunicorn processes on several hosts count together and any of them answers a scrape
with the installation's totals; without it (the embedded single process, `make run`) in this process's memory.
The pool's gauges are always the answering process's own (labelled with its pid): a pool is per process.

Another package adds a gauge with `register_gauge(name, help, fn)`: `fn()` returns a number, or a dict
{labels dict as a tuple of (name, value) pairs: number}; it is called at each scrape, inside the app context.
"""
import hmac
import ipaddress
import os
import threading
import time
from dataclasses import dataclass

from flask import current_app

from models import db

try:  # the jobs' queue brings it (RQ's dependency); only needed with REDIS_URL
    import redis
except ImportError:  # pragma: no cover - depends on the installation
    redis = None

PREFIX = "journal"
# Latency buckets, seconds: a page's budget is 50 ms, a report's a few seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REDIS_KEY = "journal:metrics:"  # + requests | seconds | buckets; METRICS_REDIS_KEY for another


def settings_from_environment():
    return {"METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
            "REDIS_URL": os.environ.get("REDIS_URL") or None,
            # the hashes' prefix: two installations (or test runs) on one Redis keep their own counters
            "METRICS_REDIS_KEY": os.environ.get("METRICS_REDIS_KEY") or REDIS_KEY}


@dataclass
class Gauge:
    help: str
    read: object


_gauges: dict[str, Gauge] = {}  # name → Gauge, registered at import or by create_app; read at each scrape


def register_gauge(name, help, fn):
    """Add (or replace) the gauge `journal_<name>`; `fn()` as said in the module's docstring."""
    _gauges[name] = Gauge(help, fn)


# -- where the counters live ------------------------------------------------------------------------------------

class LocalCounters:
    """This process's counters (the embedded single process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests, self.seconds, self.buckets = {}, {}, {}

    def add(self, request_field, endpoint, seconds, bucket_fields):
        with self._lock:
            self.requests[request_field] = self.requests.get(request_field, 0) + 1
            self.seconds[endpoint] = self.seconds.get(endpoint, 0.0) + seconds
            for field in bucket_fields:
                self.buckets[field] = self.buckets.get(field, 0) + 1

    def read(self):
        with self._lock:
            return dict(self.requests), dict(self.seconds), dict(self.buckets)


class RedisUnavailable(Exception):
    """Redis failed a moment ago: the counts are skipped for PAUSE seconds instead of waiting on it per request."""


class RedisCounters:
    """The installation's counters in Redis: every process adds to the same three hashes. When Redis fails,
    this process stops trying for PAUSE seconds (those requests are not counted, and no request waits for the
    connection's timeout), and says so once."""

    PAUSE = 30

    def __init__(self, client, key=REDIS_KEY):
        self.client = client
        self.key = key
        self._down_until = 0.0

    def add(self, request_field, endpoint, seconds, bucket_fields):
        if time.monotonic() < self._down_until:
            raise RedisUnavailable()
        try:
            self._add(request_field, endpoint, seconds, bucket_fields)
        except Exception:
            self._down_until = time.monotonic() + self.PAUSE
            raise

    def _add(self, request_field, endpoint, seconds, bucket_fields):
        pipe = self.client.pipeline(transaction=False)
        pipe.hincrby(self.key + "requests", request_field, 1)
        pipe.hincrbyfloat(self.key + "seconds", endpoint, seconds)
        for field in bucket_fields:
            pipe.hincrby(self.key + "buckets", field, 1)
        pipe.execute()

    def read(self):
        def decoded(mapping, kind):
            return {_text(k): kind(_text(v)) for k, v in mapping.items()}
        return (decoded(self.client.hgetall(self.key + "requests"), int),
                decoded(self.client.hgetall(self.key + "seconds"), float),
                decoded(self.client.hgetall(self.key + "buckets"), int))


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def counters(app=None):
    """The app's counters: made on first use from its REDIS_URL (Redis) or in memory."""
    app = app or current_app
    found = app.extensions.get("metrics")
    if found is None:
        url = app.config.get("REDIS_URL")
        if url:
            if redis is None:
                raise RuntimeError("REDIS_URL is set but the redis package is not installed")
            found = RedisCounters(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1),
                                  app.config.get("METRICS_REDIS_KEY") or REDIS_KEY)
        else:
            found = LocalCounters()
        app.extensions["metrics"] = found
    return found


# -- one request ---------------------------------------------------------------------------------------------

def observe(endpoint, method, status, seconds):
    """Count one answered request. A failure of Redis is logged, never the request's failure."""
    endpoint = endpoint or "none"  # no route matched (a 404)
    le = [f"{b:g}" for b in BUCKETS if seconds <= b] + ["+Inf"]
    try:
        counters().add(f"{endpoint}|{method}|{status}", endpoint, seconds, le)
    except RedisUnavailable:
        pass  # said when it failed
    except Exception as exc:  # noqa: BLE001 — metrics never break a page
        current_app.logger.warning("metrics not counted for %d s: %s", RedisCounters.PAUSE,
                                   (str(exc).splitlines() or [type(exc).__name__])[0][:200])


# -- access ------------------------------------------------------------------------------------------------

def may_read(request):
    """The scrape is allowed: `Authorization: Bearer <METRICS_TOKEN>`, or (with or without a token configured)
    a request from this host's loopback that did not come through a proxy (no X-Forwarded-For / Forwarded:
    nginx on the same host would otherwise make every visitor look local)."""
    token = current_app.config.get("METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip(), token):
        return True
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


# -- the text ------------------------------------------------------------------------------------------------

def _labels(pairs):
    def escaped(value):
        return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{name}="{escaped(value)}"' for name, value in pairs) + "}" if pairs else ""


def _number(value):
    return f"{value:.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def render():
    """The exposition text (version 0.0.4)."""
    requests, seconds, buckets = counters().read()
    lines = []

    def family(name, kind, help):
        lines.append(f"# HELP {PREFIX}_{name} {help}")
        lines.append(f"# TYPE {PREFIX}_{name} {kind}")

    family("http_requests_total", "counter", "Requests answered, by endpoint, method and status.")
    for field, count in sorted(requests.items()):
        endpoint, method, status = field.split("|")
        lines.append(f"{PREFIX}_http_requests_total"
                     f"{_labels([('endpoint', endpoint), ('method', method), ('status', status)])} {count}")
    family("http_endpoint_seconds_total", "counter", "Seconds spent answering, by endpoint.")
    for endpoint, total in sorted(seconds.items()):
        lines.append(f"{PREFIX}_http_endpoint_seconds_total{_labels([('endpoint', endpoint)])} {_number(total)}")
    family("http_request_duration_seconds", "histogram", "Latency of every request, seconds.")
    for le in [f"{b:g}" for b in BUCKETS] + ["+Inf"]:
        lines.append(f"{PREFIX}_http_request_duration_seconds_bucket{_labels([('le', le)])} {buckets.get(le, 0)}")
    lines.append(f"{PREFIX}_http_request_duration_seconds_sum {_number(sum(seconds.values()))}")
    lines.append(f"{PREFIX}_http_request_duration_seconds_count {buckets.get('+Inf', 0)}")
    pid = [("pid", os.getpid())]
    pool = db.engine.pool
    for name, help, read in (("db_pool_size", "Connections the pool keeps (this process).", "size"),
                             ("db_pool_checked_out", "Connections in use (this process).", "checkedout"),
                             ("db_pool_overflow", "Connections over the pool's size (this process).", "overflow")):
        if hasattr(pool, read):
            family(name, "gauge", help)
            lines.append(f"{PREFIX}_{name}{_labels(pid)} {getattr(pool, read)()}")
    for name, gauge in sorted(_gauges.items()):
        try:
            value = gauge.read()
        except Exception as exc:  # noqa: BLE001 — one gauge failing leaves the others
            current_app.logger.warning("gauge %s not read: %s", name, exc)
            continue
        family(name, "gauge", gauge.help)
        for labels, number in (value.items() if isinstance(value, dict) else [((), value)]):
            lines.append(f"{PREFIX}_{name}{_labels(labels)} {_number(number)}")
    return "\n".join(lines) + "\n"
