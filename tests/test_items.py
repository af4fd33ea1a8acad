"""The memory objects the API returns: the day they were said, written out, and a turn's
text with its relative dates resolved beside its raw `content`."""

from __future__ import annotations

import json

from mem0cli import backup
from mem0cli.items import said_on


def turn(content: str, id_: str, name: str = "Ann", when: str | None = "2023-05-08T13:56:00") -> dict:
    return {"role": "user", "name": name, "content": content, "id": id_, "created_at": when}


def test_said_on_writes_the_day_out():
    assert said_on("2023-05-08T13:56:00") == "8 May 2023"
    assert said_on("2024-10-01T23:30:00+00:00") == "1 October 2024"
    assert said_on(None) is None and said_on("") is None and said_on("not a time") is None


def test_facts_carry_said_on_wherever_they_are_returned(memory, extractor):
    extractor.outputs = ['["Ann went to the support group on 7 May 2023"]']
    added = memory.add([turn("I went to the support group yesterday", "d1")], user_id="ann")
    fact_id = added["results"][0]["id"]
    assert memory.get(fact_id)["said_on"] == "8 May 2023"
    assert memory.get_all(user_id="ann")["results"][0]["said_on"] == "8 May 2023"
    hit = memory.search("support group", user_id="ann", memory_type="fact")["results"][0]
    assert hit["id"] == fact_id and hit["said_on"] == "8 May 2023"


def test_a_fact_without_a_time_has_no_said_on(memory, extractor):
    extractor.outputs = ['["Ann likes tea"]']
    fact_id = memory.add("I like tea", user_id="ann")["results"][0]["id"]
    item = memory.get(fact_id)
    assert item["said_at"] is None and item["said_on"] is None


def test_a_turn_shows_its_resolved_dates_and_keeps_its_raw_content(memory, extractor):
    extractor.outputs = ["[]"]
    memory.add(
        [turn("I went to the support group yesterday", "d1"), turn("Lovely weather", "d2")], user_id="ann"
    )
    hit = memory.search("support group", user_id="ann", memory_type="message")["results"][0]
    assert hit["memory"] == "I went to the support group yesterday (7 May 2023)"
    assert hit["content"] == "I went to the support group yesterday"
    assert hit["said_on"] == "8 May 2023" and hit["said_at"] == "2023-05-08T13:56:00"
    assert memory.get(hit["id"])["memory"] == hit["memory"]
    # a turn without relative dates, or without a time, reads as it was said
    plain = memory.search("weather", user_id="ann", memory_type="message")["results"][0]
    assert plain["memory"] == plain["content"] == "Lovely weather"
    memory.add([turn("I went there yesterday", "d3", when=None)], user_id="bob")
    undated = memory.search("went there", user_id="bob", memory_type="message")["results"][0]
    assert undated["memory"] == "I went there yesterday" and undated["said_on"] is None


def test_export_keeps_the_raw_text_of_turns(memory, extractor):
    extractor.outputs = ["[]"]
    memory.add([turn("I went to the support group yesterday", "d1")], user_id="ann")
    lines = [r for r in backup.export_records(memory) if r.get("type") == "message"]
    assert [r["content"] for r in lines] == ["I went to the support group yesterday"]
    assert "7 May 2023" not in json.dumps(lines) and "said_on" not in lines[0]
