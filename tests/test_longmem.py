"""Recall over long conversations: turns and facts searched together (fakes, no models).

The figures on real conversations come from bench/longmem.py; these tests pin the
mechanisms: a turn without a fact stays findable, relative dates are findable by
their absolute dates, named periods and named speakers rank first, `kind`
filters, a fact stands in for its turns, a reply is found through its question.
"""

from __future__ import annotations

import json

import pytest

from mem0cli import InputError, Memory, backup, doctor
from mem0cli.ranking import (
    RankSettings,
    Scored,
    add_context,
    lift,
    likely_names,
    named_speakers,
    thread_before,
    without_names,
)
from mem0cli.search import QueryVectors, search_text, turn_texts
from tests.fakes import FakeEmbedder, ScriptedExtractor


def turn(content: str, id_: str, name: str | None = None, when: str = "2024-10-01T16:20:00") -> dict:
    message = {"role": "user", "content": content, "id": id_, "created_at": when}
    if name:
        message["name"] = name
    return message


def test_a_turn_without_a_fact_is_found_by_a_rare_word(memory, extractor):
    # the scripted extractor links a call's facts to every message of the call: one call per turn
    extractor.outputs = ['["Sven likes hiking", "Sven has a cat"]', "[]", '["Sven likes hiking in the rain"]']
    memory.add([turn("I like hiking and I have a cat", "d1")], user_id="sven")
    memory.add([turn("The cat is called Borscht, she hates the vet", "d2")], user_id="sven")
    memory.add([turn("Hiking in the rain is the best", "d3")], user_id="sven")
    hits = memory.search("Borscht", user_id="sven")["results"]
    assert hits[0]["memory_type"] == "message" and hits[0]["sources"] == ["d2"]
    assert "Borscht" in hits[0]["memory"] and hits[0]["said_at"].startswith("2024-10-01")


def test_a_relative_date_is_found_by_its_absolute_date(memory, extractor):
    extractor.outputs = ["[]"]
    memory.add(
        [turn("I passed my driving test yesterday", "d1"), turn("Dinner was pasta again", "d2")],
        user_id="sven",
    )
    hits = memory.search("30 September 2024", user_id="sven")["results"]
    assert hits[0]["sources"] == ["d1"]
    # the indexed text carries the resolved date beside the day the turn was said
    text = search_text("I passed my driving test yesterday", "2024-10-01T16:20:00", "Sven")
    assert text == "[1 October 2024] Sven: I passed my driving test yesterday (30 September 2024)"


def test_a_fact_with_a_resolved_date_is_found_by_it(memory, extractor):
    extractor.outputs = ['["Sven passed Sven\'s driving test on 30 September 2024"]']
    memory.add([turn("I passed my driving test yesterday", "d1")], user_id="sven")
    hits = memory.search("what happened on 30 September 2024", user_id="sven")["results"]
    assert hits[0]["memory_type"] == "fact" and "30 September 2024" in hits[0]["memory"]


def test_a_query_naming_a_time_range_ranks_that_period_first(memory, extractor):
    extractor.outputs = ["[]", "[]", "[]"]
    for i, when in enumerate(["2023-03-14T10:00:00", "2024-03-20T10:00:00", "2024-07-02T10:00:00"]):
        memory.add([turn(f"We went to a concert, number {i}", f"c{i}", when=when)], user_id="sven")
    hits = memory.search("concert in March 2024", user_id="sven", explain=True)["results"]
    assert hits[0]["sources"] == ["c1"] and hits[0]["explain"]["named_period"] > 1
    hits = memory.search("the concert last year", user_id="sven")["results"]
    assert hits[0]["sources"] == ["c0"]  # the newest memory is from 2024, so last year is 2023


def test_kind_filters_facts_or_turns(memory, extractor):
    extractor.outputs = ['["Sven teaches chemistry"]', "[]"]
    memory.add([turn("I teach chemistry", "d1")], user_id="sven")
    memory.add([turn("Chemistry exams are next week", "d2")], user_id="sven")
    facts = memory.search("chemistry", user_id="sven", memory_type="fact")["results"]
    turns = memory.search("chemistry", user_id="sven", memory_type="message")["results"]
    assert [h["memory_type"] for h in facts] == ["fact"]
    assert {h["memory_type"] for h in turns} == {"message"} and {h["sources"][0] for h in turns} == {"d1", "d2"}
    with pytest.raises(InputError):
        memory.search("chemistry", user_id="sven", memory_type="turn")


def test_a_fact_ranks_above_and_stands_in_for_its_turn(memory, extractor):
    extractor.outputs = ['["Sven teaches chemistry at a school in Malmo"]']
    memory.add(
        [turn("I teach chemistry at a school in Malmo", "d1"), turn("Chemistry is fun to teach", "d2")],
        user_id="sven",
    )
    hits = memory.search("Malmo chemistry school", user_id="sven")["results"]
    assert hits[0]["memory_type"] == "fact" and sorted(hits[0]["sources"]) == ["d1", "d2"]
    assert "I teach chemistry at a school in Malmo" in [e["content"] for e in hits[0]["evidence"]]
    # the fact's turns do not come back beside it
    assert not [h for h in hits if h["memory_type"] == "message" and h["sources"][0] in ("d1", "d2")]


def test_every_fact_of_one_sentence_is_shown_when_there_is_room(memory, extractor):
    """A fact stands for its turn, and a second fact of the same turn is not skipped: it
    waits until every other candidate has had its place (results stay in rank order)."""
    extractor.outputs = ['["Alice lives in Seattle", "Alice likes oat milk lattes"]', "[]"]
    memory.add([turn("I live in Seattle and I like oat milk lattes", "d1")], user_id="alice")
    memory.add([{"role": "assistant", "content": "Noted!", "id": "a1"}], user_id="alice")
    hits = memory.search("where do I live", user_id="alice")["results"]
    assert {h["memory"] for h in hits if h["memory_type"] == "fact"} == {"Alice lives in Seattle", "Alice likes oat milk lattes"}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert not [h for h in hits if h["memory_type"] == "message" and h["sources"] == ["d1"]]
    assert len(memory.search("where do I live", user_id="alice", limit=1)["results"]) == 1


def test_a_reply_is_found_through_the_question_it_answers(memory, extractor):
    extractor.outputs = ["[]"]
    memory.add(
        [turn("The weather was grim all weekend", "d1", "Ana"),
         turn("What breed is your new dog?", "d2", "Ana"),
         turn("A corgi, she is called Biscuit", "d3", "Ben"),
         turn("Lunch was a sandwich again", "d4", "Ana"),
         turn("Traffic on the bridge was awful", "d5", "Ben")],
        user_id="pair",
    )
    hits = memory.search("which dog breed", user_id="pair", explain=True)["results"]
    assert [h["sources"][0] for h in hits[:2]] == ["d2", "d3"]
    assert hits[1]["explain"]["context"] > 0


def test_a_named_speaker_is_favoured_and_not_matched_as_a_word(memory, extractor):
    extractor.outputs = ["[]"]
    memory.add(
        [turn("Bob, your garden looks lovely from the street", "d1", "Ana"),
         turn("I planted tomatoes in the garden", "d2", "Bob"),
         turn("I planted roses in the garden", "d3", "Ana")],
        user_id="pair",
    )
    hits = memory.search("What did Bob plant in the garden?", user_id="pair", explain=True)["results"]
    assert hits[0]["sources"] == ["d2"] and hits[0]["explain"]["named_speaker"] > 1
    # without the boost the name is still no keyword: the turn addressing Bob does not win
    plain = memory.search("What did Bob plant in the garden?", user_id="pair",
                          rank=RankSettings(speaker_weight=0.0))["results"]
    assert plain[0]["sources"] != ["d1"]


# -- the pure parts ------------------------------------------------------------------


def test_context_never_lifts_a_result_past_the_one_before_it():
    items = {"q": Scored("q", "message", fused=0.09), "a": Scored("a", "message", fused=0.02),
             "fa": Scored("fa", "fact", fused=0.01), "x": Scored("x", "message", fused=0.10)}
    sources = {"fa": ["a"]}
    lift(items, sources)
    add_context(items, sources, {"a": "q", "q": "x"}, 0.5)
    # the reply "a" with its fact "fa" (0.02 + 0.01) gains half the gap to "q" (0.09)
    assert items["a"].context == pytest.approx(0.5 * 0.06) == items["fa"].context
    assert items["a"].fused + items["a"].lift + items["a"].context < items["q"].fused
    assert items["q"].context == pytest.approx(0.5 * 0.01)
    assert items["x"].context == 0.0


def test_speaker_names_in_a_query():
    named = named_speakers("What did mel's kids paint? Ask Caroline", {"Mel", "Caroline", "Jon", ""})
    assert named == {"mel", "caroline"}
    assert named_speakers("Melanie's painting", {"Mel"}) == frozenset()
    kept = without_names("What did Mel's kids paint?", frozenset({"mel"}))
    assert kept.split() == ["What", "did", "kids", "paint?"]


def test_words_that_look_like_names_are_guessed_before_search_knows_the_speakers():
    assert likely_names("What activities does Melanie partake in?") == {"melanie"}
    assert likely_names("Did Melanie's kids like Jon-Paul's pottery?") == {"melanie", "jon-paul"}
    assert likely_names("What did I say about the trip?") == frozenset()  # "I" and question words are no names
    assert likely_names("when did sam move") == frozenset()


def test_query_vectors_leave_the_speakers_names_out_and_embed_each_text_once():
    asked: list[str] = []

    def embed(text: str) -> list[float]:
        asked.append(text)
        return [float(len(asked))]

    vectors = QueryVectors(embed, "What sport does Mia do?")
    first = vectors.guessed()
    assert asked == ["What sport does   do?"]
    assert vectors.naming(frozenset({"mia"})) is first and len(asked) == 1  # embedded once
    assert vectors.naming(frozenset()) == [2.0] and asked[-1] == "What sport does Mia do?"
    only_a_name = QueryVectors(embed, "Mia?")
    only_a_name.naming(frozenset({"mia"}))
    assert asked[-1] == "Mia?"  # nothing left without the name: the whole query


def test_a_wrong_guess_is_searched_again_with_the_speakers_it_names(memory):
    memory.add([turn("I moved to Paris in May", "d1", "Jon"), turn("Great news Jon", "d2", "Gina")],
               user_id="c1", infer=False)
    asked: list[str] = []
    embed = memory.embedder.embed_query
    memory.embedder.embed_query = lambda text: asked.append(text) or embed(text)
    memory.search("When did Jon move to Paris?", user_id="c1")
    # guessed: Jon and Paris; the speakers among the nearest turns: Jon alone
    assert [a.split() for a in asked] == [["When", "did", "move", "to", "?"], ["When", "did", "move", "to", "Paris?"]]


def test_search_text_carries_the_previous_turn_briefly():
    text = search_text("A corgi", "2023-05-08T13:56:00", "Ben", context="What breed is your dog? " * 40)
    head, context = text.split("\n")
    assert head == "[8 May 2023] Ben: A corgi"
    assert context.startswith("What breed") and len(context) <= 300
    assert search_text("Hi", None) == "Hi"


# -- a turn indexed with the turn before it --------------------------------------------

CHAT = [
    ("d1", "Ana", "The weather was grim all weekend"),
    ("d2", "Ana", "What breed is your new dog?"),
    ("d3", "Ben", "A corgi, she is called Biscuit"),
    ("d4", "Ana", "Lunch was a sandwich again"),
    ("d5", "Ben", "Traffic on the bridge was awful"),
]


def add_chat(memory, extractor, when: str = "2023-05-08T13:56:00") -> None:
    """The chat in two `add` calls (sessions), all turns said at the same time, and another scope."""
    extractor.outputs = ["[]", "[]", "[]"]
    memory.add([turn(text, id_, name, when) for id_, name, text in CHAT[:2]], user_id="pair")
    memory.add([turn(text, id_, name, when) for id_, name, text in CHAT[2:]], user_id="pair")
    memory.add([turn("My dog is a beagle", "s1", "Solo", when)], user_id="solo")


def pks_by_message_id(memory) -> dict[str, str]:
    return {m["message_id"]: m["pk"] for m in memory.store.facts.select_messages()}


def stored_vectors(memory) -> dict[str, list[float]]:
    return memory.store.vectors.vectors_of(list(pks_by_message_id(memory).values()))


def result_ids(memory, queries=("which dog breed", "Biscuit", "bridge traffic", "weekend weather")) -> list:
    return [[h["id"] for h in memory.search(q, user_id="pair")["results"]] for q in queries]


def test_the_turn_before_is_the_one_stored_before_in_the_same_scope(memory, extractor):
    add_chat(memory, extractor)
    pk = pks_by_message_id(memory)
    before = memory.store.facts.previous_turns(list(pk.values()))
    assert before == {pk["d2"]: pk["d1"], pk["d3"]: pk["d2"], pk["d4"]: pk["d3"], pk["d5"]: pk["d4"]}
    assert memory.store.facts.last_turn({"user_id": "pair"}) == pk["d5"]
    assert memory.store.facts.last_turn({"user_id": "solo"}) == pk["s1"]
    assert memory.store.facts.last_turn({"user_id": "nobody"}) is None


def test_a_turn_is_indexed_with_the_start_of_the_turn_before_it(memory, extractor):
    add_chat(memory, extractor)
    pk = pks_by_message_id(memory)
    texts = turn_texts(memory.store, list(pk.values()))
    # the first turn of the second `add` follows the last turn of the first
    assert texts[pk["d3"]] == search_text(CHAT[2][2], "2023-05-08T13:56:00", "Ben", context=CHAT[1][2])
    assert texts[pk["d3"]].endswith("\nWhat breed is your new dog?")
    assert "\n" not in texts[pk["d1"]] and "\n" not in texts[pk["s1"]]  # first turns of their scopes
    # the vectors stored at add time are those of exactly these texts
    vectors = stored_vectors(memory)
    expected = FakeEmbedder().embed_documents([texts[p] for p in pk.values()])
    for p, vector in zip(pk.values(), expected):
        assert vectors[p] == pytest.approx(vector, abs=1e-6)


def test_a_store_whose_vectors_were_rebuilt_searches_as_before(memory, extractor):
    add_chat(memory, extractor)
    vectors, results = stored_vectors(memory), result_ids(memory)
    assert doctor.reindex(memory) == len(vectors)  # the vector table dropped, rebuilt by _repair_index
    rebuilt = stored_vectors(memory)
    assert set(rebuilt) == set(vectors)
    for p, vector in vectors.items():
        assert rebuilt[p] == pytest.approx(vector, abs=1e-6)
    assert result_ids(memory) == results


def test_an_import_indexes_each_turn_with_the_same_turn_before_it(memory, extractor, tmp_path):
    add_chat(memory, extractor)
    # said earlier, stored later: the turn before is the one stored before, not the one said before
    extractor.outputs = ["[]"]
    memory.add([turn("Biscuit chewed my shoe", "d6", "Ben", "2023-05-01T09:00:00")], user_id="pair")
    pk = pks_by_message_id(memory)
    records = backup.export_records(memory)
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    data = "\n".join(json.dumps(r) for r in records).encode()
    backup.apply_import(mirror, backup.read_import(data))
    assert mirror.store.facts.previous_turns(list(pk.values())) == memory.store.facts.previous_turns(list(pk.values()))
    mirrored = stored_vectors(mirror)
    for p, vector in stored_vectors(memory).items():
        assert mirrored[p] == pytest.approx(vector, abs=1e-6)
    assert result_ids(mirror) == result_ids(memory)
    mirror.close()


class WriterInBetween(FakeEmbedder):
    """Runs `between` once, right after an embedding: another writer storing turns while
    `add` has embedded its turns but not yet taken the write lock."""

    def __init__(self) -> None:
        super().__init__()
        self.between = None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = super().embed_documents(texts)
        between, self.between = self.between, None
        if between is not None:
            between()
        return vectors


def test_a_turn_stored_by_another_writer_in_between_becomes_the_turn_before(isolated_home, extractor):
    embedder = WriterInBetween()
    memory = Memory(path=isolated_home, embedder=embedder, extractor=extractor)
    other = Memory(path=isolated_home, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    memory.add([turn(text, id_, name) for id_, name, text in CHAT[:2]], user_id="pair", infer=False)
    squirrels = [turn("Squirrels everywhere today", "x1", "Cy")]
    embedder.between = lambda: other.add(squirrels, user_id="pair", infer=False)
    memory.add([turn(CHAT[2][2], "d3", "Ben")], user_id="pair", infer=False)
    pk = pks_by_message_id(memory)
    assert memory.store.facts.previous_turns([pk["d3"]]) == {pk["d3"]: pk["x1"]}
    text = turn_texts(memory.store, [pk["d3"]])[pk["d3"]]
    assert text.endswith("\nSquirrels everywhere today")
    expected = FakeEmbedder().embed_documents([text])[0]
    assert stored_vectors(memory)[pk["d3"]] == pytest.approx(expected, abs=1e-6)
    other.close()
    memory.close()


def test_search_lets_a_reply_inherit_from_the_turn_stored_before_it(memory, extractor):
    add_chat(memory, extractor)
    hits = memory.search("which dog breed", user_id="pair", explain=True)["results"]
    reply = next(h for h in hits if h["sources"] == ["d3"])
    assert reply["explain"]["context"] > 0
    off = memory.search("which dog breed", user_id="pair", explain=True, rank=RankSettings(context_weight=0))
    assert next(h for h in off["results"] if h["sources"] == ["d3"])["explain"]["context"] == 0


def test_forgetting_a_turn_re_embeds_the_turn_after_it(memory, extractor):
    add_chat(memory, extractor)
    pk = pks_by_message_id(memory)
    old = stored_vectors(memory)[pk["d3"]]
    memory.delete(pk["d2"])  # d3 was indexed with the start of d2
    assert memory.store.facts.previous_turns([pk["d3"]]) == {pk["d3"]: pk["d1"]}
    assert memory.store.facts.unindexed() == ([], [])  # re-embedded within the forget
    new = stored_vectors(memory)[pk["d3"]]
    expected = FakeEmbedder().embed_documents([turn_texts(memory.store, [pk["d3"]])[pk["d3"]]])[0]
    assert new == pytest.approx(expected, abs=1e-6)
    assert new != pytest.approx(old, abs=1e-6)
    assert pk["d2"] not in stored_vectors(memory)


def test_evidence_is_stored_once_and_linked_to_each_memory_drawn_from_it(memory, extractor):
    extractor.outputs = ['["Sven likes hiking", "Sven has a cat"]', '["Sven likes hiking"]']
    said = turn("I like hiking and I have a cat", "d1", "Sven")
    first = memory.add([said], user_id="sven")["results"]
    memory.add([said, turn("Hiking again tomorrow", "d2", "Sven")], user_id="sven")  # d1 again, and d2
    assert sorted(m["message_id"] for m in memory.store.facts.select_messages()) == ["d1", "d2"]
    hiking, cat = (memory.get(r["id"]) for r in first)
    assert cat["sources"] == ["d1"] and hiking["sources"] == ["d1", "d2"]  # d2 confirmed the hiking fact
    evidence = {e["id"]: e for e in hiking["evidence"]}
    assert evidence["d1"]["content"] == "I like hiking and I have a cat"
    assert evidence["d1"]["name"] == "Sven" and evidence["d1"]["created_at"].startswith("2024-10-01")


def test_forgetting_a_memory_erases_evidence_no_remaining_memory_uses(memory, extractor):
    extractor.outputs = ['["Sven likes hiking", "Sven has a cat"]', '["Sven lives in Bergen"]']
    hiking, cat = memory.add([turn("I like hiking and I have a cat", "d1")], user_id="sven")["results"]
    memory.add([turn("I live in Bergen", "d2")], user_id="sven")
    memory.delete(hiking["id"])
    assert sorted(m["message_id"] for m in memory.store.facts.select_messages()) == ["d1", "d2"]  # the cat still uses d1
    memory.delete(cat["id"])
    assert [m["message_id"] for m in memory.store.facts.select_messages()] == ["d2"]
    assert all(h["memory_type"] == "fact" or h["sources"] == ["d2"] for h in memory.search("cat hiking", user_id="sven")["results"])
    assert memory.store.vectors.ids() == memory.store.facts.all_ids()


def test_export_and_import_carry_the_evidence(memory, extractor, tmp_path):
    extractor.outputs = ['["Sven has a cat named Borscht"]']
    fact = memory.add([turn("My cat is called Borscht", "d1", "Sven")], user_id="sven")["results"][0]
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    data = "\n".join(json.dumps(r) for r in backup.export_records(memory)).encode()
    backup.apply_import(mirror, backup.read_import(data))
    assert mirror.get(fact["id"])["evidence"] == memory.get(fact["id"])["evidence"]
    assert mirror.search("Borscht", user_id="sven", memory_type="message")["results"][0]["sources"] == ["d1"]
    mirror.close()


def test_a_reply_inherits_less_from_each_turn_further_back():
    # "museum" (m) -> "what were they stoked about?" (w) -> "the dinosaurs!" (d): only m matches
    items = {"m": Scored("m", "message", fused=0.10), "w": Scored("w", "message", fused=0.0),
             "d": Scored("d", "message", fused=0.02)}
    before = {"d": "w", "w": "m"}
    add_context(items, {}, before, 0.5, turns_back=2)
    assert items["w"].context == pytest.approx(0.5 * 0.10)
    assert items["d"].context == pytest.approx(0.25 * 0.08)  # two turns back: weight squared
    add_context(items, {}, before, 0.5, turns_back=1)
    assert items["d"].context == 0.0  # "w" scores below "d", and one turn back is all it looks


def test_the_thread_before_a_turn_is_read_one_step_at_a_time():
    chain = {"d": "c", "c": "b", "b": "a"}
    asked: list[list[str]] = []

    def previous_turns(pks: list[str]) -> dict[str, str]:
        asked.append(pks)
        return {pk: chain[pk] for pk in pks if pk in chain}

    assert thread_before(previous_turns, ["d", "c"], 2) == {"d": "c", "c": "b", "b": "a"}
    assert asked == [["d", "c"], ["b"]]  # "c" was known already: only "b" is asked next
    assert thread_before(previous_turns, ["d"], 0) == {}
