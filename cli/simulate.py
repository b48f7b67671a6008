"""``rescuecircle simulate``: play the loaded city's volunteers and ambulances (and, if asked,
its callers) through the live dispatch loop, until stopped; ``make run`` starts it beside the
server on the demo city. See ``services.simulation`` and docs/operations.md."""

import argparse
import logging
import os
import time
from typing import Any

from rescuecircle.errors import RescueCircleError
from rescuecircle.settings import Settings

TICK_S = 1.0
SUMMARY_EVERY_S = 60.0
LOGGER = logging.getLogger("rescuecircle.simulate")


def _simulate(args: argparse.Namespace, settings: Settings) -> None:
    from services.context import opened
    from services.simulation import Behaviour, Simulator

    logging.basicConfig(level=settings.log_level, format="%(asctime)s simulate: %(message)s")
    behaviour = Behaviour(incidents_per_hour=args.incidents_per_hour, speedup=args.speedup)
    with opened(settings) as context:
        simulator = Simulator(context, seed=args.seed, behaviour=behaviour)
        print(f"simulating {len(simulator.volunteers)} available volunteers and "
              f"{len(simulator.ambulances)} ambulances (seed {args.seed}, "
              f"{args.incidents_per_hour:g} incidents per hour, speedup {args.speedup:g})",
              flush=True)
        started = last_summary = time.monotonic()
        parent = os.getppid()
        try:
            while (args.stop_after is None or time.monotonic() - started < args.stop_after) \
                    and not (args.stop_with_parent and os.getppid() != parent):
                try:
                    counts = simulator.advance(context.now())
                except RescueCircleError as exc:          # e.g. no network while re-importing
                    LOGGER.warning("%s; trying again", exc)
                    counts = simulator.counts
                if time.monotonic() - last_summary >= SUMMARY_EVERY_S:
                    last_summary = time.monotonic()
                    LOGGER.info(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
                time.sleep(TICK_S)
        except KeyboardInterrupt:
            pass


def add_command(commands: Any) -> None:
    """Register ``simulate`` on the top-level subparsers."""
    simulate = commands.add_parser(
        "simulate", help="play the loaded city's volunteers and ambulances through the "
        "dispatch loop (positions, answers to alerts, ambulance statuses) until stopped")
    simulate.add_argument("--seed", type=int, default=42,
                          help="the same seed makes the same choices")
    simulate.add_argument("--incidents-per-hour", type=float, default=0.0, metavar="X",
                          help="also call in incidents at this average rate (default 0: "
                          "only the dispatches you make)")
    simulate.add_argument("--speedup", type=float, default=1.0,
                          help="play movement and delays this many times faster")
    simulate.add_argument("--stop-after", type=float, default=None, metavar="SECONDS",
                          help="stop after this long (default: run until stopped)")
    simulate.add_argument("--stop-with-parent", action="store_true",
                          help="stop when the process that started it ends (`make run`: "
                          "when the server stops, however it is stopped)")
    simulate.set_defaults(handler=_simulate)
