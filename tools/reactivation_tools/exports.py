"""Sending a PMS export (a directory of the three CSV files) to the imports bucket, as a
practice's sync would: for `reactivation import` and the demo."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reactivation.adapters.imports import ExportStore
from reactivation.domain.importing import ExportFile
from reactivation.domain.imports import ExportRef


class ExportDirectoryError(ValueError):
    """The directory is not a whole export."""


def export_id_for(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def upload_export(store: ExportStore, ref: ExportRef, directory: Path) -> None:
    """Uploads the three files; the import starts when the last one lands."""
    if directory.is_file():
        raise ExportDirectoryError(
            f"{directory} is a file: give the folder that holds the export's patients.csv, "
            "appointments.csv and plans.csv"
        )
    if not directory.is_dir():
        raise ExportDirectoryError(f"{directory}: no such folder")
    missing = [file.value for file in ExportFile if not (directory / file.value).is_file()]
    if missing:
        raise ExportDirectoryError(f"{directory} has no {', '.join(missing)} (an export is "
                                   "patients.csv, appointments.csv and plans.csv)")  # fmt: skip
    for file in ExportFile:
        with (directory / file.value).open("rb") as body:
            store.upload(ref, file, body)
