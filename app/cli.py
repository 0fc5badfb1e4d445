"""The ``lernraum`` command: serve, check structure files, and the admin commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.settings import Settings
    from app.web.app import UVICORN_WS_OPTIONS, create_app

    overrides = {
        key: value
        for key, value in (
            ("host", args.host),
            ("port", args.port),
            ("database_url", args.database_url),
        )
        if value is not None
    }
    settings = Settings(**overrides)
    print(f"Lernraum serves on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(
        create_app(settings, tune_collector=True),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **UVICORN_WS_OPTIONS,
    )
    return 0


def _structures_check(args: argparse.Namespace) -> int:
    from app.structures import run_check

    return run_check(args.path, sys.stdout)


def _facilitator_add(args: argparse.Namespace) -> int:
    import getpass
    import secrets

    from app.accounts import AccountError, Accounts
    from app.clock import SystemClock
    from app.settings import Settings
    from app.store import Store

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    generated = False
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    else:
        password, generated = secrets.token_urlsafe(15), True
    store = Store(settings.database_url)
    store.create_schema()
    try:
        email = Accounts(store.engine).add_facilitator(args.email, password, SystemClock().now())
    except AccountError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"Facilitator {email} created.")
    if generated:
        print(f"Password (shown once): {password}")
    return 0


def _rehearse(args: argparse.Namespace) -> int:
    import asyncio
    import getpass

    import httpx

    from app.client import ClientClosed
    from app.rehearsal import rehearse

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password of {args.email}: ")
    try:
        asyncio.run(
            rehearse(
                args.url,
                args.email,
                password,
                participants=args.participants,
                workshop=args.workshop,
                agenda=args.agenda,
                pause_s=args.pause,
            )
        )
    except (httpx.HTTPError, ClientClosed, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.clock import SystemClock
    from app.export import build_bundle, render
    from app.export.archive import load_import
    from app.settings import Settings
    from app.store import Store

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    store = Store(settings.database_url)
    try:
        state = store.load_state(args.workshop)
        bundle = (
            build_bundle(state, SystemClock().now())
            if state is not None
            else load_import(store, args.workshop)
        )
    finally:
        store.close()
    if bundle is None:
        print(f"error: no workshop {args.workshop!r} in the store", file=sys.stderr)
        return 1
    text = render(bundle, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        # newline="": the CSV's CRLF line ends are written as they are on every platform
        args.output.write_text(text, encoding="utf-8", newline="")
        print(f"Exported {args.workshop} as {args.format} to {args.output}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from app.clock import SystemClock
    from app.export import BundleError
    from app.export.archive import ImportRefused, save_import
    from app.settings import Settings
    from app.store import Store

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    store = Store(settings.database_url)
    try:
        store.create_schema()
        bundle = save_import(store, args.file.read_text(encoding="utf-8"), SystemClock().now())
    except (BundleError, ImportRefused, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"Imported {bundle.workshop.id} ({bundle.workshop.title}) as a read-only record.")
    return 0


def _retention_run(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC

    from app.clock import SystemClock
    from app.retention import run_once
    from app.settings import Settings
    from app.store import Store

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    days = settings.retention_days if args.days is None else args.days
    now = SystemClock().now() if args.as_of is None else args.as_of
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    store = Store(settings.database_url)
    try:
        store.create_schema()
        report = asyncio.run(run_once(store, now, days))
    finally:
        store.close()
    for workshop_id in report.anonymised:
        print(f"anonymised {workshop_id}")
    for workshop_id, seq in report.redacted:
        print(f"redacted the log of {workshop_id} before event {seq}")
    for failure in report.failed:
        print(f"error: {failure}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def _agenda_export(args: argparse.Namespace) -> int:
    from app.agenda_toml import AgendaError, agenda_toml
    from app.settings import Settings
    from app.store import Store
    from app.structures import SHIPPED_ROOT, load_library

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    store = Store(settings.database_url)
    try:
        state = store.load_state(args.workshop)
    finally:
        store.close()
    if state is None:
        print(f"error: no workshop {args.workshop!r} in the store", file=sys.stderr)
        return 1
    library = load_library(SHIPPED_ROOT, *settings.structures_dirs)
    try:
        text = agenda_toml(state, library, args.id)
    except AgendaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"Exported the agenda of {args.workshop} to {args.output}", file=sys.stderr)
    return 0


def _agenda_import(args: argparse.Namespace) -> int:
    import asyncio

    from app.agenda_toml import AgendaError, import_agenda
    from app.clock import SystemClock
    from app.settings import Settings
    from app.structures import SHIPPED_ROOT, load_library
    from app.workshops import WorkshopService

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    library = load_library(SHIPPED_ROOT, *settings.structures_dirs)
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 1
    service = WorkshopService.open(settings.database_url, library, SystemClock())
    try:
        state = asyncio.run(import_agenda(service, text, args.owner, args.title))
    except AgendaError as error:
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 1
    finally:
        service.close()
    print(f"Created workshop {state.id} ({state.title}) with {len(state.plan)} steps.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="lernraum", description="Lernraum: live online workshops."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument(
        "--database-url", help="sqlite:///FILE (default sqlite:///lernraum.db) or postgresql://…"
    )
    serve.set_defaults(handler=_serve)

    structures = commands.add_parser("structures", help="work with structure files")
    structures_commands = structures.add_subparsers(dest="structures_command", required=True)
    check = structures_commands.add_parser("check", help="validate structure files")
    check.add_argument(
        "path", nargs="?", type=Path, default=None, help="a folder or file (default: the library)"
    )
    check.set_defaults(handler=_structures_check)

    facilitator = commands.add_parser("facilitator", help="manage facilitator accounts")
    facilitator_commands = facilitator.add_subparsers(dest="facilitator_command", required=True)
    add = facilitator_commands.add_parser(
        "add", help="create a facilitator account (prompts for a password, or generates one)"
    )
    add.add_argument("email")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument("--database-url", help="the store (default: LERNRAUM_DATABASE_URL)")
    add.set_defaults(handler=_facilitator_add)

    rehearsal = commands.add_parser(
        "rehearse",
        help="run a workshop end to end with simulated participants over the live protocol",
    )
    rehearsal.add_argument("--url", default="http://127.0.0.1:8000", help="the server")
    rehearsal.add_argument("--email", default="facilitator@lernraum.local", help="facilitator")
    rehearsal.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    rehearsal.add_argument("--participants", type=int, default=6, help="how many (default 6)")
    rehearsal.add_argument("--workshop", help="an existing workshop in the lobby (default: new)")
    rehearsal.add_argument(
        "--agenda", default="peer-learning-kickoff", help="agenda of a new workshop"
    )
    rehearsal.add_argument(
        "--pause", type=float, default=0.5, help="seconds to wait in each step (default 0.5)"
    )
    rehearsal.set_defaults(handler=_rehearse)

    export = commands.add_parser(
        "export", help="export a workshop's outcomes from the store (no server needed)"
    )
    export.add_argument("workshop", help="the workshop's id")
    export.add_argument(
        "--format", choices=("json", "csv", "md", "html"), default="json", help="(default json)"
    )
    export.add_argument("--output", type=Path, help="a file (default: standard output)")
    export.add_argument("--database-url", help="the store (default: LERNRAUM_DATABASE_URL)")
    export.set_defaults(handler=_export)

    imported = commands.add_parser(
        "import", help="keep an exported JSON bundle as a read-only record (see docs/export.md)"
    )
    imported.add_argument("file", type=Path, help="a lernraum-export JSON file")
    imported.add_argument("--database-url", help="the store (default: LERNRAUM_DATABASE_URL)")
    imported.set_defaults(handler=_import)

    retention = commands.add_parser("retention", help="personal data of ended workshops")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    sweep = retention_commands.add_parser(
        "run",
        help="anonymise ended workshops whose retention period is over, and finish pending "
        "log redactions of erasures (the server does both by itself every minute)",
    )
    sweep.add_argument(
        "--days", type=int, help="the retention period in days (default: LERNRAUM_RETENTION_DAYS)"
    )
    sweep.add_argument(
        "--as-of",
        type=datetime.fromisoformat,
        help="sweep as if it were this time (ISO 8601, UTC unless given; default: now)",
    )
    sweep.add_argument("--database-url", help="the store (default: LERNRAUM_DATABASE_URL)")
    sweep.set_defaults(handler=_retention_run)

    agenda = commands.add_parser("agenda", help="share a workshop's agenda as a structure file")
    agenda_commands = agenda.add_subparsers(dest="agenda_command", required=True)
    agenda_out = agenda_commands.add_parser(
        "export", help="write a workshop's agenda as a TOML file (see docs/structures.md)"
    )
    agenda_out.add_argument("workshop", help="the workshop's id")
    agenda_out.add_argument("--id", help="the id of the file (default: from the title)")
    agenda_out.add_argument("--output", type=Path, help="a file (default: standard output)")
    agenda_out.add_argument("--database-url", help="the store (default: LERNRAUM_DATABASE_URL)")
    agenda_out.set_defaults(handler=_agenda_export)
    agenda_in = agenda_commands.add_parser(
        "import", help="create a workshop in the lobby from an agenda or structure file"
    )
    agenda_in.add_argument("file", type=Path, help="a TOML file of kind agenda or structure")
    agenda_in.add_argument("--owner", required=True, help="the facilitator who owns it")
    agenda_in.add_argument("--title", help="the workshop's title (default: the file's name)")
    agenda_in.add_argument("--database-url", help="the store (default: LERNRAUM_DATABASE_URL)")
    agenda_in.set_defaults(handler=_agenda_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
