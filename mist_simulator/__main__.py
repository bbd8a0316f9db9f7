"""Standalone simulated Mist cloud over plain HTTP (threaded wsgiref server).

    python -m mist_simulator --port 8123 --gateways 2500 --seed 7 --tokens tokA,tokB

Point a client at http://127.0.0.1:8123/api/v1/... ; `GET /__simulator__/calls` reports the calls.
"""

from __future__ import annotations

import argparse
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .api import make_wsgi_app
from .simulator import MistSimulator


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per connection, with a listen backlog like a real web front end's.

    socketserver's default backlog is 5: a client opening a burst of connections (a collector's
    first pages, reference lists and events at once) had some dropped by the kernel and retried
    a second later, stalls the Mist cloud does not cause, which distorted the benchmarks.
    """

    daemon_threads = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


def csv_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mist_simulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--gateways", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tokens", type=csv_list, default=("demo-token-a",), help="comma-separated org tokens"
    )
    parser.add_argument("--user-tokens", type=csv_list, default=(), help="comma-separated user tokens")
    parser.add_argument("--extra-orgs", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=5000, help="calls per token per rolling hour")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--hang-seconds", type=float, default=30.0, help="how long a 'hanging' fault sleeps")
    parser.add_argument("--adversarial", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--lazy",
        action="store_true",
        help="build each gateway's stats on first request instead of ahead of each 5-minute slot",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sim = MistSimulator(
        gateways=args.gateways,
        seed=args.seed,
        tokens=args.tokens,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        rate_limit=args.rate_limit,
        fault_rate=args.fault_rate,
        adversarial=args.adversarial,
        extra_orgs=args.extra_orgs,
        user_tokens=args.user_tokens,
    )
    if not args.lazy:
        sim.keep_warm()
    handler = WSGIRequestHandler if args.verbose else QuietHandler
    server = make_server(
        args.host,
        args.port,
        make_wsgi_app(sim, args.hang_seconds),
        server_class=ThreadingWSGIServer,
        handler_class=handler,
    )
    print(f"mist_simulator listening on http://{args.host}:{server.server_port}", flush=True)
    print(f"org_id {sim.org_id}", flush=True)
    for org_id in sim.org_ids[1:]:
        print(f"extra org_id {org_id} token {','.join(sim.org_tokens(org_id))}", flush=True)
    print(f"tokens {','.join(args.tokens)}", flush=True)
    if args.user_tokens:
        print(f"user_tokens {','.join(args.user_tokens)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
