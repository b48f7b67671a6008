"""``rescuecircle dispatch --point=LON,LAT``: plan the response to an incident from the
command line, as POST /api/dispatch does (the plan is stored with its audit, ``created_by``
cli:USER), and print who goes, when each arrives, and why any part is empty."""

import argparse
import getpass
import json
from typing import Any

from rescuecircle.settings import Settings


def _dispatch(args: argparse.Namespace, settings: Settings) -> None:
    from services.context import opened
    from services.dispatch import plan_dispatch

    body: dict[str, Any] = {"point": args.point.split(","), "crs": args.crs, "k": args.k}
    if args.at:
        body["at"] = args.at
    if args.category:
        body["category"] = args.category
    if args.floor is not None:
        body["floor"] = args.floor
    with opened(settings) as context:
        plan = plan_dispatch(context, body, created_by=f"cli:{getpass.getuser()}")
    print(json.dumps(plan, indent=2) if args.json else summary(plan))


def summary(plan: dict[str, Any]) -> str:
    """The plan in a few lines for a person."""
    lines = [f"dispatch {plan['id']} (incident {plan['incident_id']})"]
    ambulance = plan["ambulance"]
    if ambulance:
        lines.append(f"ambulance {ambulance['call_sign']} ({ambulance['kind']}) from "
                     f"{ambulance['starts_from'].replace('_', ' ')}: {ambulance['eta_s']:.0f} s "
                     f"(target {ambulance['target_s']:.0f} s: "
                     f"{'within' if ambulance['within_target'] else 'LATE'})")
    for volunteer in plan["volunteers"]:
        lines.append(f"volunteer {volunteer['volunteer_id']}: {volunteer['eta_s']:.0f} s")
    runner = plan["aed_runner"]
    if runner:
        lines.append(f"volunteer {runner['volunteer_id']} fetches AED {runner['aed_id']}: "
                     f"AED at the patient in {runner['aed_eta_s']:.0f} s")
    if plan["drone"]:
        lines.append(f"drone from pad {plan['drone']['pad_id']}: {plan['drone']['eta_s']:.0f} s")
    if plan["helicopter"]:
        lines.append(f"helicopter from base {plan['helicopter']['base_id']}: "
                     f"{plan['helicopter']['eta_s']:.0f} s (proposed: the ambulance is late)")
    lines.append(f"5-minute circle: {'holds' if plan['circle_holds'] else 'does NOT hold'}")
    destination = plan["destination"]
    if destination:
        lines.append(f"to hospital {destination['name'] or destination['hospital_id']}: "
                     f"{destination['eta_s']:.0f} s"
                     + (f" ({destination['note']})" if "note" in destination else ""))
    lines += [f"no {part.replace('_', ' ')}: {reason}"
              for part, reason in plan["reasons"].items()]
    return "\n".join(lines)


def add_command(commands: Any) -> None:
    """Register ``dispatch`` on the top-level subparsers."""
    dispatch = commands.add_parser("dispatch", help="plan and store the response to an "
                                   "incident at --point=LON,LAT")
    dispatch.add_argument("--point", required=True, metavar="LON,LAT",
                          help="the patient; write --point=LON,LAT when LON is negative")
    dispatch.add_argument("--crs", choices=("wgs84", "gcj02", "bd09"), default="wgs84")
    dispatch.add_argument("--at", default=None, help="ISO 8601 with offset (default now)")
    dispatch.add_argument("--k", type=int, default=3, choices=(2, 3),
                          help="volunteers to send straight to the patient")
    dispatch.add_argument("--category", default=None,
                          help="the call's category (graded dispatch: cardiac_arrest, stroke, "
                               "...; default: not triaged, everything is sent)")
    dispatch.add_argument("--floor", type=int, default=None, help="the patient's floor")
    dispatch.add_argument("--json", action="store_true", help="the whole plan as JSON")
    dispatch.set_defaults(handler=_dispatch)
