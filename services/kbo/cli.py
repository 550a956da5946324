"""``buurt-kbo``: load the KBO/BCE Open Data into the platform, the registrations' intake checks against it
(docs/kbo.md).

  buurt-kbo load KboOpenData_0140_2026_11_Full.zip      a monthly full extract
  buurt-kbo update KboOpenData_0141_2026_11_Update.zip  the next update (each must follow the one loaded)
  buurt-kbo status                                      the snapshot in force
  buurt-kbo generate out.zip --enterprises 1000         a synthetic extract in the published layout
"""

import asyncio
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import KafkaException
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from services.common.kafka_admin import create_topics
from services.common.topics import KBO_ENTERPRISES, KBO_SNAPSHOTS, Topics
from services.kbo import loader, synthetic
from services.kbo.extract import Extract, ExtractError
from services.kbo.store import KboStore

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True)
Bootstrap = Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers")]
Prefix = Annotated[str, typer.Option(envvar="BUURT_TOPIC_PREFIX", help="topic name prefix")]
StorePath = Annotated[Path, typer.Option(envvar="KBO_LOADER_STORE",
                                         help="the loader's own lookup store (rebuilt from the topics when missing)")]
DEFAULT_STORE = Path(".data/kbo/loader.sqlite")


@app.command()
def load(extract: Path, bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
         store: StorePath = DEFAULT_STORE,
         allow_older: Annotated[bool, typer.Option(help="load a full extract older than the loaded one")] = False,
         ) -> None:
    """Load a full extract: it replaces the snapshot in force at once, or (failed, interrupted) not at all."""
    _run(extract, bootstrap, Topics(prefix), store,
         lambda opened, kbo, progress: loader.load_full(opened, kbo, bootstrap, Topics(prefix), progress,
                                                        allow_older))


@app.command()
def update(extract: Path, bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
           store: StorePath = DEFAULT_STORE) -> None:
    """Apply an update extract: the one that follows the extract in force."""
    _run(extract, bootstrap, Topics(prefix), store,
         lambda opened, kbo, progress: loader.load_update(opened, kbo, bootstrap, Topics(prefix), progress))


@app.command()
def status(bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "", store: StorePath = DEFAULT_STORE) -> None:
    """The snapshot in force and how many enterprises it holds."""
    kbo = _store(store, bootstrap, Topics(prefix))
    snapshot = kbo.snapshot()
    if snapshot is None:
        typer.echo("no KBO snapshot is loaded")
    else:
        typer.echo(f"extract {snapshot.extract_number} ({snapshot.extract_type}) of {snapshot.snapshot_date}, "
                   f"loaded {snapshot.loaded_at:%Y-%m-%d %H:%M} UTC: {kbo.count():,} enterprises")
    kbo.close()


@app.command()
def generate(out: Path, enterprises: Annotated[int, typer.Option(min=1)] = 1000,
             extract_number: Annotated[int, typer.Option(min=1)] = 140,
             snapshot: Annotated[str, typer.Option(help="yyyy-mm-dd")] = "2026-11-01",
             seed: int = 2020) -> None:
    """Write a synthetic full extract in the published layout."""
    counts = synthetic.write_full(out, synthetic.population(enterprises, seed), extract_number,
                                  date.fromisoformat(snapshot))
    typer.echo(", ".join(f"{name}: {rows:,}" for name, rows in counts.items() if rows))


def _store(path: Path, bootstrap: str, topics: Topics) -> KboStore:
    asyncio.run(create_topics(bootstrap, topics, specs=(KBO_ENTERPRISES, KBO_SNAPSHOTS)))
    return loader.open_store(path, topics, bootstrap)


def _run(path: Path, bootstrap: str, topics: Topics, store_path: Path, action: loader.Action) -> None:
    started = time.monotonic()
    try:
        extract = Extract(path)
    except ExtractError as exc:
        _fail(str(exc))
    kbo = _store(store_path, bootstrap, topics)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} rows"),
                      TimeElapsedColumn(), console=console, transient=not sys.stderr.isatty()) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, rows: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=None)
                if rows < 0:
                    bar.update(tasks[step], total=bar.tasks[tasks[step]].completed)
                else:
                    bar.update(tasks[step], completed=rows)

            result = action(extract, kbo, progress)
    except ExtractError as exc:
        _fail(f"{exc} — nothing was published; the snapshot in force is unchanged")
    except loader.LoadRefused as exc:
        _fail(f"refused: {exc}")
    except KafkaException as exc:
        _fail(f"Kafka: {exc} — the transaction was aborted; the snapshot in force is unchanged")
    finally:
        extract.close()
        kbo.close()
    snap = result.snapshot
    typer.echo(f"extract {snap.extract_number} ({snap.extract_type}) of {snap.snapshot_date} in force: "
               f"{result.published:,} enterprises published, {result.removed:,} removed, "
               f"{time.monotonic() - started:.1f} s")


def _fail(message: str) -> None:
    console.print(f"[red]buurt-kbo: {message}[/red]")
    raise typer.Exit(1)


def main() -> None:
    app()
