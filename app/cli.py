"""The ``lernraum`` command: serve, check structure files, and the admin commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
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
        create_app(settings),
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
