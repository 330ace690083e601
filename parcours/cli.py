"""The ``parcours`` command: operations of a Parcours deployment.

parcours demo [--host H] [--port P]   migrate, load the demo territory, serve + worker
parcours serve [--host H] [--port P] [--workers N]   the ASGI web server (production)
parcours worker [--once]              the background worker
parcours <django command> …           any manage.py command (migrate, token, createsuperuser…)
"""

import argparse
import ctypes
import os
import signal
import subprocess
import sys


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parcours.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _serve(host: str, port: int, workers: int, reload: bool = False) -> None:
    import uvicorn
    from django.conf import settings

    uvicorn.run(
        "parcours.asgi:application",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        lifespan="off",
        timeout_graceful_shutdown=3,
        reload=reload,
    )


def _checked() -> None:
    """Refuse to serve a deployment that would fail on its first page or message (static
    files not collected, malformed keys: core/checks.py); say loudly when this is not a
    production configuration."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("check", fail_level="ERROR")
    if not settings.PRODUCTION:
        print(
            "\n" + "!" * 78 + "\n!! NOT A PRODUCTION CONFIGURATION (PARCOURS_ENV is not "
            "'production'):\n!! no HTTPS redirect, development e-mail and keys. Never "
            "serve patient data like this.\n" + "!" * 78 + "\n",
            file=sys.stderr,
            flush=True,
        )


class _Stopped(SystemExit):
    """Raised in the main thread when the demo is asked to stop (SIGTERM, SIGINT, SIGHUP)."""


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _raise_stopped(signum, frame) -> None:
    if signum == signal.SIGHUP:
        # uvicorn does not handle SIGHUP, and an exception raised inside its event loop may be
        # swallowed: pass it on as SIGTERM, which uvicorn (while it serves) turns into a clean
        # shutdown and raises again, and which this handler (otherwise) turns into _Stopped.
        signal.raise_signal(signal.SIGTERM)
        return
    raise _Stopped(128 + signum)


def _parent_death_signal() -> None:
    """In the worker child (Linux): receive SIGTERM if the demo process dies, even by SIGKILL,
    so no worker outlives it. Silently nothing elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop_child(child: subprocess.Popen, timeout: float = 5) -> None:
    """SIGTERM the child, wait at most ``timeout`` seconds, then SIGKILL it."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def cmd_demo(args) -> None:
    """Migrate, load the demo territory, then serve with the worker beside. Stopping the demo
    (Ctrl-C, SIGTERM, SIGHUP) stops the worker too: uvicorn captures the signal, shuts down,
    then raises it again once our handler is back (uvicorn ≥ 0.29) — the handler turns it into
    an exception, so the ``finally`` below always runs (before, the default SIGTERM action
    killed this process there and left the worker running: issue 14, bug 13)."""
    # Links in the notification e-mails point at this demo's address (the worker inherits it),
    # unless SITE_URL says otherwise.
    os.environ.setdefault("SITE_URL", f"http://{args.host}:{args.port}")
    # « Se connecter avec Pro Santé Connect » against a local PSC-shaped provider (started
    # below, after the demo data), unless a real PSC is configured (docs/authentication.md).
    local_psc = not os.environ.get("PSC_CLIENT_ID")
    if local_psc:
        os.environ["PSC_ISSUER"] = f"http://127.0.0.1:{args.psc_port}"
        os.environ["PSC_CLIENT_ID"] = "parcours-demo"
        os.environ["PSC_CLIENT_SECRET"] = "demo"
        # The local provider speaks plain HTTP on the loopback address.
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    _django()
    from django.conf import settings

    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    _manage("migrate", "--no-input", "-v", "0")
    _manage("load_demo")
    print(
        f"\nParcours (démo) : http://{args.host}:{args.port}/  — comptes dans le README, "
        "mot de passe « demo ». Médecins : aussi « Se connecter avec Pro Santé Connect » "
        "(fournisseur PSC local de démonstration). Politique de connexion de la démo : "
        "mot de passe seul permis, second facteur activable dans « Sécurité ».\n",
        flush=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "parcours.cli", "worker", "--interval", "10"],
        preexec_fn=_parent_death_signal,
    )
    provider = None
    if local_psc:
        provider = subprocess.Popen(  # noqa: S603 — our own interpreter and module, a port number
            [sys.executable, "-m", "parcours.cli", "psc_provider", "--port", str(args.psc_port)],
            preexec_fn=_parent_death_signal,
        )
    try:
        _serve(args.host, args.port, workers=1)
    except _Stopped:
        pass
    finally:
        # A second signal while stopping must not cut the clean-up short.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        _stop_child(worker)
        if provider is not None:
            _stop_child(provider)


def cmd_serve(args) -> None:
    _django()
    _checked()
    _serve(args.host, args.port, workers=args.workers)


def cmd_worker(args) -> None:
    _django()
    argv = ["worker"]
    if args.once:
        argv.append("--once")
    if args.interval is not None:
        argv += ["--interval", str(args.interval)]
    try:
        _manage(*argv)
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="parcours", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("demo", help="demo on SQLite: migrate, load, serve with the worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--psc-port", type=int, default=9400, help="the local PSC provider's port")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("serve", help="serve the web application (ASGI, uvicorn)")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("worker", help="run the background worker")
    p.add_argument("--once", action="store_true")
    p.add_argument("--interval", type=float, default=None)
    p.set_defaults(func=cmd_worker)

    known = {"demo", "serve", "worker", "-h", "--help"}
    if argv and argv[0] not in known:
        # Everything else is a Django management command (migrate, token, import-…).
        _django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["parcours", *argv])
        return
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return
    args.func(args)


if __name__ == "__main__":
    main()
