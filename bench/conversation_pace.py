"""How long a conversation takes a person, estimated from a transcript of the
offline chat (``binhdang chat`` with a piped script; see docs/activities.md).

Interactions are the user's lines (a tap ``#…``, a typed message, a photo).
Time is a reading-and-acting model, not a measurement of anyone:
- reading: the bot's words at --wpm words per minute; button labels are
  scanned, not read, and count half;
- a tap: --tap seconds to find and press a button;
- a typed answer: --think seconds, then its characters at --cps per second
  (a phone keyboard, Vietnamese with diacritics);
- a photo: --photo seconds to pick it from the gallery and send it.

    .venv/bin/python bench/conversation_pace.py docs/transcripts/*.txt

One JSON line per transcript; the last line has them all.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

USER = re.compile(r"^\d+> (.*)$")
BUTTON = re.compile(r"^\s+\[\d+\] ")


def estimate(path: Path, args: argparse.Namespace) -> dict[str, object]:
    words = 0.0
    acting = 0.0
    interactions = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        user = USER.match(line)
        if user:
            interactions += 1
            action = user[1]
            if action.startswith("#"):
                acting += args.tap
            elif action.startswith("!photo"):
                acting += args.photo
            else:
                acting += args.think + len(action) / args.cps
            continue
        if line.startswith("("):
            continue  # notes of the chat itself, not shown by Telegram
        if BUTTON.match(line):
            labels = re.split(r"\s+\[\d+\] ", " " + line.strip())
            words += 0.5 * sum(len(label.split()) for label in labels)
            continue
        words += len(re.sub(r"^bot( \(edited\))?:\s*", "", line).split())
    reading = words / args.wpm * 60
    return {
        "transcript": path.name,
        "interactions": interactions,
        "words_read": round(words),
        "reading_s": round(reading),
        "acting_s": round(acting),
        "total_s": round(reading + acting),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("transcripts", nargs="+", type=Path)
    parser.add_argument("--wpm", type=float, default=200.0)
    parser.add_argument("--cps", type=float, default=2.0)
    parser.add_argument("--tap", type=float, default=1.5)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--photo", type=float, default=6.0)
    args = parser.parse_args()
    found = [estimate(path, args) for path in args.transcripts]
    for item in found:
        print(json.dumps(item, ensure_ascii=False))
    print(json.dumps({"conversations": found}, ensure_ascii=False))


if __name__ == "__main__":
    main()
