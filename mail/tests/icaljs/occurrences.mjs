// Reads one VCALENDAR on stdin as Thunderbird's calendar code (Mozilla's ical.js) would:
// registers its VTIMEZONEs, expands the first VEVENT's series (at most argv[2]
// occurrences, default 500) and prints each occurrence's start and end as UTC seconds,
// one "start end" pair per line.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const event = new ICAL.Event(calendar.getFirstSubcomponent("vevent"));
const limit = Number(process.argv[2] || 500);
const lines = [];
const iterator = event.iterator();
for (let next = iterator.next(); next && lines.length < limit; next = iterator.next()) {
  const details = event.getOccurrenceDetails(next);
  lines.push(`${details.startDate.toUnixTime()} ${details.endDate.toUnixTime()}`);
}
process.stdout.write(lines.join("\n") + "\n");
