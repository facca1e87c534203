"""`cxreport shop actions …` and `cxreport shop appeal …`: follow-up actions and appeals.

Each is a group whose subcommand may be left out: ``shop actions PROGRAMME`` is
``shop actions list PROGRAMME`` and ``shop appeal PROGRAMME VISIT --item … --reason …`` is
``shop appeal file …`` (as issue 14 writes them). A programme file named like a subcommand
(``list``) is given as ``./list``. The library functions are in
:mod:`cxreport.shop.followup`; this module parses options and prints.
"""

from __future__ import annotations

from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class DefaultGroup(click.Group):
    """A group that runs ``default`` when the first argument is not one of its subcommands."""

    def __init__(self, *args, default: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def _programme(f):
    return click.argument("programme", type=click.Path(path_type=Path))(f)


def _allow_outside(f):
    return click.option("--allow-outside-paths", "allow_outside", is_flag=True,
                        help="Let the programme file name files outside its own folder.")(f)


def _by(f):
    return click.option("--by", "who", default=None, help="Who makes the change (default: the login name).")(f)


def _load(programme: Path, allow_outside: bool, command):
    from cxreport.shop.commands import load

    prog = command.prog = load(programme, allow_outside)
    return prog


# --------------------------------------------------------------------------- actions


@click.group("actions", cls=DefaultGroup, default="list", context_settings=CONTEXT)
def actions() -> None:
    """Follow-up actions opened by failed critical items and repeated failures.

    Scoring visits opens them by itself (one per location and item); list them and record
    what is done about them. `shop actions PROGRAMME` is `shop actions list PROGRAMME`.

    \b
    Example:
      cxreport shop actions list programme.yaml --status open
      cxreport shop actions update programme.yaml A-0003 --status done --note "Retrained the team"
    """


@actions.command("list", context_settings=CONTEXT)
@_programme
@click.option("--status", default="all", show_default=True,
              help="open, in-progress, done, dropped; live (open or in progress), overdue or all.")
@click.option("--location", default=None, help="Only this location (its id).")
@_allow_outside
def actions_list(programme: Path, status: str, location: str | None, allow_outside: bool) -> None:
    """One line per action, tab-separated: id, status, due, location, item, trigger, owner,
    visits. An overdue action (open or in progress, due date passed) shows `overdue` after
    its status.

    \b
    Example:
      cxreport shop actions list programme.yaml
      cxreport shop actions list programme.yaml --status live --location BR10
    """
    from cxreport.shop.commands import echo, shop_errors
    from cxreport.shop.followup import list_actions
    from cxreport.shop.intake import printable

    with shop_errors() as command:
        prog = _load(programme, allow_outside, command)
        word = status.strip().lower()
        rows = list_actions(prog, None if word == "all" else word, location)
        echo("\t".join(("id", "status", "due", "location", "item", "trigger", "owner", "visits")))
        for a in rows:
            state = a["status"] + (" (overdue)" if a["overdue"] else "")
            echo("\t".join((a["id"], state, a["due"].isoformat(), printable(a["location_id"]), a["item"], a["trigger"],
                            printable(a["owner"]) or "-", ", ".join(printable(v) for v in a["visits"]))))
        overdue = sum(a["overdue"] for a in rows)
        echo(f"{len(rows)} action(s){f', {overdue} overdue' if overdue else ''} in {prog.ledger_path}", err=True)


@actions.command("show", context_settings=CONTEXT)
@_programme
@click.argument("action_id")
@_allow_outside
def actions_show(programme: Path, action_id: str, allow_outside: bool) -> None:
    """An action and its whole history (who, when, status, owner, due date, note).

    \b
    Example:
      cxreport shop actions show programme.yaml A-0003
    """
    from cxreport.shop.commands import echo, shop_errors
    from cxreport.shop.followup import action_history
    from cxreport.shop.intake import printable

    with shop_errors() as command:
        prog = _load(programme, allow_outside, command)
        a, log = action_history(prog, action_id)
        echo(f"{a['id']}: item {a['item']} at {printable(a['location'])} ({printable(a['location_id'])}), "
             f"{a['trigger']}")
        echo(f"  status {a['status']}{' (overdue)' if a['overdue'] else ''}, owner {printable(a['owner']) or '-'}, "
             f"due {a['due'].isoformat()}")
        echo(f"  visits: {', '.join(printable(v) for v in a['visits'])}")
        echo("History:")
        for r in log:
            note = f": {printable(r['note'])}" if r["note"] else ""
            echo(f"  {r['at']}  {printable(r['by'])}  {r['event']} — {r['status']}, owner "
                 f"{printable(r['owner']) or '-'}, due {r['due']}{note}")


@actions.command("update", context_settings=CONTEXT)
@_programme
@click.argument("action_id")
@click.option("--status", default=None, help="open, in-progress, done or dropped (dropped needs --note).")
@click.option("--note", default=None, help="What was done or decided (kept in the action's history).")
@click.option("--owner", default=None, help="Who is responsible now.")
@click.option("--due", default=None, help="New due date, YYYY-MM-DD.")
@_by
@_allow_outside
def actions_update(programme: Path, action_id: str, status: str | None, note: str | None, owner: str | None,
                   due: str | None, who: str | None, allow_outside: bool) -> None:
    """Change an action's status, owner or due date, or add a note. Every update is kept in
    its history; nothing earlier is overwritten.

    \b
    Example:
      cxreport shop actions update programme.yaml A-0003 --status in-progress --note "Team briefing booked"
      cxreport shop actions update programme.yaml a3 --due 2026-12-15 --by "Regional manager"
    """
    from cxreport.shop.commands import echo, shop_errors
    from cxreport.shop.followup import update_action
    from cxreport.shop.intake import printable

    with shop_errors() as command:
        prog = _load(programme, allow_outside, command)
        a = update_action(prog, action_id, status=status, note=note, owner=owner, due=due, who=who)
        echo(f"{a['id']}: {a['status']}, owner {printable(a['owner']) or '-'}, due {a['due'].isoformat()}"
             f"{' (overdue)' if a['overdue'] else ''}")


# --------------------------------------------------------------------------- appeals


@click.group("appeal", cls=DefaultGroup, default="file", context_settings=CONTEXT)
def appeal() -> None:
    """Appeals against one item's answer of an accepted visit, and their decisions.

    An appeal is decided once: upheld (the item takes the upheld answer and the visit is
    scored again in a new scoring run; the submitted answer is kept) or rejected.
    `shop appeal PROGRAMME VISIT …` is `shop appeal file PROGRAMME VISIT …`.

    \b
    Example:
      cxreport shop appeal file programme.yaml V-W2-0033 --item S2 --reason "Key facts on the desk"
      cxreport shop appeal decide programme.yaml AP-0001 --uphold --answer yes --note "Photo confirms it"
      cxreport shop appeal list programme.yaml
    """


@appeal.command("file", context_settings=CONTEXT)
@_programme
@click.argument("visit")
@click.option("--item", required=True, help="The item whose answer is appealed (its id).")
@click.option("--reason", required=True, help="Why the location disputes the answer.")
@_by
@_allow_outside
def appeal_file(programme: Path, visit: str, item: str, reason: str, who: str | None, allow_outside: bool) -> None:
    """File an appeal against ITEM of the accepted VISIT (its id, compared as `shop submit`
    compares ids: case, invisible characters and the kind of dash do not matter).

    \b
    Example:
      cxreport shop appeal file programme.yaml V-W2-0033 --item S2 --reason "Key facts on the desk"
    """
    from cxreport.shop.commands import echo, shop_errors
    from cxreport.shop.followup import file_appeal
    from cxreport.shop.intake import printable

    with shop_errors() as command:
        prog = _load(programme, allow_outside, command)
        a = file_appeal(prog, visit, item, reason, who)
        echo(f"{a['id']}: appeal against item {a['item']} of visit {printable(a['visit'])} "
             f"(answer '{printable(a['original']) or '-'}') filed by {printable(a['filed_by'])}; "
             f"decide it with `cxreport shop appeal decide PROGRAMME {a['id']} --uphold|--reject --note …`")


@appeal.command("decide", context_settings=CONTEXT)
@_programme
@click.argument("appeal_id")
@click.option("--uphold", "decision", flag_value="uphold", default=None, help="The appeal is right.")
@click.option("--reject", "decision", flag_value="reject", help="The answer stands.")
@click.option("--answer", default=None,
              help="With --uphold: the item's answer from now on (default: the answer earning all the item's points; "
                   "needed for numeric items). N/A where the item allows it.")
@click.option("--note", required=True, help="The reasons for the decision (kept with it).")
@_by
@_allow_outside
def appeal_decide(programme: Path, appeal_id: str, decision: str | None, answer: str | None, note: str,
                  who: str | None, allow_outside: bool) -> None:
    """Decide an open appeal, once: --uphold or --reject, with a --note.

    \b
    Example:
      cxreport shop appeal decide programme.yaml AP-0001 --uphold --answer yes --note "Photo confirms it"
      cxreport shop appeal decide programme.yaml ap2 --reject --note "Recording shows no greeting"
    """
    from cxreport.shop.commands import echo, shop_errors
    from cxreport.shop.followup import decide_appeal
    from cxreport.shop.intake import printable
    from cxreport.present.formatting import num

    if decision is None:
        raise click.UsageError("give --uphold or --reject")
    with shop_errors() as command:
        prog = _load(programme, allow_outside, command)
        r = decide_appeal(prog, appeal_id, uphold=decision == "uphold", answer=answer, note=note, who=who)
        if r["status"] == "rejected":
            echo(f"{r['id']}: rejected; item {r['item']} of visit {printable(r['visit'])} keeps its answer "
                 f"'{printable(r['original']) or '-'}'")
            return
        echo(f"{r['id']}: upheld; item {r['item']} of visit {printable(r['visit'])}: "
             f"'{printable(r['original']) or '-'}' → '{printable(r['answer'])}' (the submitted answer is kept)")
        if r["run"] is not None:
            change = (f"{num(r['before'], 1)}% → {num(r['after'], 1)}%" if r["before"] is not None
                      and r["after"] is not None else "scored")
            echo(f"  Scoring run #{r['run']}: visit {printable(r['visit'])} {change}")
        moved = r["actions"]
        if any(moved.values()):
            echo(f"  Follow-up actions: {moved['opened']} opened, {moved['added']} extended, "
                 f"{moved['dropped']} dropped (`cxreport shop actions list PROGRAMME`)")
        if r["note"]:
            echo(f"  note: {r['note']}", err=True)


@appeal.command("list", context_settings=CONTEXT)
@_programme
@click.option("--status", type=click.Choice(["open", "upheld", "rejected", "all"]), default="all", show_default=True,
              help="Which appeals.")
@_allow_outside
def appeal_list(programme: Path, status: str, allow_outside: bool) -> None:
    """One line per appeal, tab-separated: id, status, visit, location, item, original answer,
    upheld answer, filed (when, by), decided (when, by).

    \b
    Example:
      cxreport shop appeal list programme.yaml --status open
    """
    from cxreport.shop.commands import echo, shop_errors
    from cxreport.shop.followup import list_appeals
    from cxreport.shop.intake import printable

    with shop_errors() as command:
        prog = _load(programme, allow_outside, command)
        rows = list_appeals(prog, status)
        echo("\t".join(("id", "status", "visit", "location", "item", "original", "upheld", "filed", "filed_by",
                        "decided", "decided_by")))
        for r in rows:
            echo("\t".join((r["code"], r["status"], printable(r["visit_id"]), printable(r["location_id"]), r["item_id"],
                            printable(r["original"]) or "-", printable(r["answer"] or "") or "-", r["filed_at"],
                            printable(r["filed_by"]), r["decided_at"] or "-", printable(r["decided_by"] or "") or "-")))
        echo(f"{len(rows)} appeal(s) in {prog.ledger_path}", err=True)


def register(group: click.Group) -> None:
    """Add `actions` and `appeal` to the `cxreport shop` group."""
    group.add_command(actions)
    group.add_command(appeal)

