"""Writes a Markdown delay report for Cairn's `reports/delay_report` asset.

Cairn runs this from the project folder with:
  CAIRN_OUTPUT                            the file to write
  CAIRN_INPUT_EXPORTS__CARRIER_DELAYS     the JSON-lines export to read
Exiting non-zero fails the materialization and keeps the previous report.
"""

import json
import os
import sys


def main() -> int:
    source = os.environ.get("CAIRN_INPUT_EXPORTS__CARRIER_DELAYS")
    output = os.environ["CAIRN_OUTPUT"]
    if not source:
        print("CAIRN_INPUT_EXPORTS__CARRIER_DELAYS is not set", file=sys.stderr)
        return 1
    with open(source, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    if not rows:
        print(f"no rows in {source}", file=sys.stderr)
        return 1
    total = sum(row["flights"] for row in rows)
    cancelled = sum(row["cancelled"] for row in rows)
    report = [
        "# NYC departures, January to March 2013",
        "",
        f"{total:,} scheduled departures, {cancelled:,} cancelled ({cancelled / total:.1%}).",
        "",
        "| airline | flights | cancelled | avg departure delay (min) |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        delay = row["avg_dep_delay_min"]
        shown = "n/a" if delay is None else f"{delay:.1f}"
        report.append(f"| {row['airline']} ({row['carrier']}) | {row['flights']:,} | {row['cancelled']:,} | {shown} |")
    with open(output, "w", encoding="utf-8") as out:
        out.write("\n".join(report) + "\n")
    print(f"wrote report on {len(rows)} airlines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
