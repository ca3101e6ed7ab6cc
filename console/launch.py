"""Start the admin console: ``streamlit run console/streamlit_app.py`` with the console's settings.

Binds to ``CONSOLE__HOST``:``CONSOLE__PORT`` (127.0.0.1:8501 by default), headless, with usage
statistics off, so nothing leaves the machine (design: offline rules). ``--api-url`` points the
console at a ragserve other than ``CONSOLE__API_URL`` (``make run`` passes the API it starts).
The process becomes Streamlit (``exec``), so stopping it stops the console.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ragplatform.settings import Settings

APP = Path(__file__).resolve().parent / "streamlit_app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def main(argv: list[str] | None = None) -> None:
    settings = Settings().console
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.host, help=f"default {settings.host} (CONSOLE__HOST)")
    parser.add_argument(
        "--port", type=int, default=settings.port, help=f"default {settings.port} (CONSOLE__PORT)"
    )
    parser.add_argument("--api-url", default=None, help=f"default {settings.api_url} (CONSOLE__API_URL)")
    args = parser.parse_args(argv)
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    if args.api_url:
        env["CONSOLE__API_URL"] = args.api_url
    print(f"console on http://{args.host}:{args.port} (API {env.get('CONSOLE__API_URL', settings.api_url)})")
    sys.stdout.flush()
    os.execve(sys.executable, streamlit_command(args.host, args.port), env)


if __name__ == "__main__":
    main()
