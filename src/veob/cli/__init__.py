"""
The ``veob`` command line (:mod:`veob.cli`)
===========================================

``veob <command> [options]``; ``python -m veob`` is the same. Every module
``veob/cli/_cmd_<name>.py`` is a subcommand: it defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Shared options and the
error contract live in :mod:`veob.cli._common`: user errors (missing data,
bad option) exit with code 2 and one line naming the problem and the fix.

.. autosummary::

   main  -- entry point of the console script
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ._common import UsageError, add_common_options

__all__ = ["main"]


def _commands():
    names = sorted(
        m.name[len("_cmd_"):] for m in pkgutil.iter_modules(__path__) if m.name.startswith("_cmd_")
    )
    return {name.replace("_", "-"): f"{__name__}._cmd_{name}" for name in names}


def _parser(commands):
    from .._version import __version__

    parser = argparse.ArgumentParser(
        prog="veob",
        description="Backprop-free embeddings: spectral transforms, SVD and Voronoi partitions.",
    )
    parser.add_argument("--version", action="version", version=f"veob {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    modules = {}
    for name, path in commands.items():
        module = importlib.import_module(path)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        add_common_options(p)
        module.add_arguments(p)
        modules[name] = module
    return parser, modules


class _ArgumentError(Exception):
    pass


def main(argv=None) -> int:
    """Run the ``veob`` command; returns the exit code."""
    commands = _commands()
    parser, modules = _parser(commands)

    def error(message):  # argparse errors: one line, exit code 2
        raise _ArgumentError(message)

    def one_line_errors(p):  # every parser, nested ones too (veob encoder fit)
        p.error = error
        if p._subparsers is not None:
            for action in p._subparsers._group_actions:
                for child in action.choices.values():
                    one_line_errors(child)

    one_line_errors(parser)
    try:
        args = parser.parse_args(argv)
    except _ArgumentError as exc:
        print(f"veob: error: {exc} (see veob --help)", file=sys.stderr)
        return 2
    if args.command is None:
        parser.print_help()
        return 2
    from ._common import compile_notice, remove_empty_outputs

    code = 1
    try:
        with compile_notice(args):  # says so once when a numba kernel compiles (first run after an install)
            code = int(modules[args.command].run(args) or 0)
        return code
    except UsageError as exc:
        print(f"veob {args.command}: error: {exc}", file=sys.stderr)
        code = 2
        return code
    except KeyboardInterrupt:
        print("veob: interrupted", file=sys.stderr)
        code = 130
        return code
    finally:
        if code != 0:  # a failed run leaves no empty --out folder behind
            remove_empty_outputs()
        else:
            _common_created_clear()


def _common_created_clear():
    from . import _common

    _common._CREATED.clear()
