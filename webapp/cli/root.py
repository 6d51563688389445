"""The root `cxroi` group. Each command module declares its commands on it where they live (`@cli.command()`,
`@cli.group()`, or on a group of another module, such as `@survey.command()`); `webapp.cli` imports every
command module once and runs the group."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """cxroi: better customer-experience questions, hosted surveys, and what they are worth."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
