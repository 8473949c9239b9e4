"""Read the week grid back out of the HTML, the way a test wants to check it."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Placed:
    day: str  # the column's date, YYYY-MM-DD
    title: str
    time: str
    start: int  # wall-clock minute of the top edge
    end: int
    lane: int
    lanes: int
    href: str


class _WeekParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.placed: list[Placed] = []
        self.all_day: dict[str, list[str]] = {}
        self._day: str | None = None
        self._allday_day: str | None = None
        self._current: dict | None = None
        self._part: str | None = None
        self._chip: bool = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "div" and "timeline" in classes:
            self._day = a["data-date"]
        elif tag == "div" and "allday-cell" in classes:
            self._allday_day = a["data-date"]
            self.all_day[self._allday_day] = []
        elif tag == "a" and "event" in classes and self._day:
            style = dict(
                (k.strip().lstrip("-"), int(v))
                for k, v in (p.split(":") for p in a["style"].split(";") if p.strip())
            )
            self._current = {"day": self._day, "href": a["href"], "title": "", "time": "", **style}
        elif tag == "a" and "chip" in classes and self._allday_day:
            self._chip = True
            self.all_day[self._allday_day].append("")
        elif tag == "span" and self._current is not None:
            self._part = "title" if "title" in classes else "time" if "time" in classes else None

    def handle_endtag(self, tag):
        if tag == "a" and self._current is not None:
            c = self._current
            self.placed.append(
                Placed(
                    c["day"],
                    c["title"].strip(),
                    c["time"].strip(),
                    c["start"],
                    c["end"],
                    c["lane"],
                    c["lanes"],
                    c["href"],
                )
            )
            self._current = None
        elif tag == "a" and self._chip:
            self._chip = False
        elif tag == "span":
            self._part = None
        elif tag == "div" and self._allday_day and not self._chip:
            self._allday_day = None

    def handle_data(self, data):
        if self._current is not None and self._part:
            self._current[self._part] += data
        elif self._chip and self._allday_day:
            self.all_day[self._allday_day][-1] += data


def parse_week(html: str) -> tuple[list[Placed], dict[str, list[str]]]:
    """The timed pieces in the grid, and the all-day titles per date."""
    parser = _WeekParser()
    parser.feed(html)
    return parser.placed, parser.all_day
