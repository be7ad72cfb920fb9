"""`python -m generator version new|release|deprecate|retire`: plan, check, write, say what's next."""

from __future__ import annotations

import argparse

from generator.lifecycle.plan import Plan, apply, check


def run_version(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if args.dry_run:
        check(args.root, plan)
        print("dry run: nothing written. The command would do this:")
    else:
        apply(args.root, plan)
    print(plan.report(), end="")
    return 0


def _plan(args: argparse.Namespace) -> Plan:
    if args.step == "new":
        from generator.lifecycle.new import plan_new

        return plan_new(args.root, args.name, args.source, args.prerelease)
    if args.step == "release":
        from generator.lifecycle.release import plan_release

        return plan_release(args.root, args.name, args.date)
    if args.step == "deprecate":
        from generator.lifecycle.deprecate import plan_deprecate

        return plan_deprecate(args.root, args.name, args.sunset, args.deprecation)
    from generator.lifecycle.retire import plan_retire

    return plan_retire(args.root, args.name, args.before_sunset)
