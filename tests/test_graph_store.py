"""Graph memory behind the Store, on both backends: entities and aliases resolved across
adds, a relation closed by a later one, traversal in SQL, erasure, export/import, search."""

from __future__ import annotations

from mem0cli import doctor
from mem0cli.backup import apply_import, export_records, read_import, write_export
from mem0cli.graph.build import rebuild
from mem0cli.graph.search import THROUGH_MAX, graph_hits


def say(memory, speaker: str, text: str, when: str, user: str = "u") -> None:
    memory.add([{"role": "user", "name": speaker, "content": text, "created_at": when}], user_id=user, infer=False)


def relations(memory, user: str = "u") -> list[tuple[str, str, str, str | None]]:
    graph = memory.store.graph
    names = {e.id: e.name for e in graph.all_entities({"user_id": user})}
    return sorted(
        (names[r.subject_id], r.relation, names[r.object_id], r.valid_until) for r in graph.all_relations({"user_id": user})
    )


def seed(memory) -> None:
    say(memory, "Caroline", "My sister Ana lives in Porto.", "2023-01-05T10:00:00")
    say(memory, "Caroline", "Ana moved to Braga in June.", "2023-06-20T10:00:00")


def test_aliases_resolve_to_one_entity_and_a_later_move_closes_the_old_home(memory) -> None:
    seed(memory)
    say(memory, "Caroline", "Caroline's sister plays the cello.", "2023-07-01T10:00:00")
    assert relations(memory) == [
        ("Ana", "live in", "Porto", "2023-06-20T10:00:00"),
        ("Ana", "move to", "Braga", None),
        ("Ana", "play", "cello", None),  # "Caroline's sister" is Ana
        ("Caroline", "sister", "Ana", None),
    ]
    graph = memory.store.graph
    (ana,) = graph.entities_named(["caroline's sister"], {"user_id": "u"})["caroline's sister"]
    assert ana.name == "Ana" and ana.kind == "person"
    assert graph.entities([ana.id])[ana.id].aliases == ["Ana", "Caroline's sister"]


def test_scopes_keep_their_own_entities(memory) -> None:
    seed(memory)
    say(memory, "Bob", "Ana moved to Faro.", "2023-08-01T10:00:00", user="other")
    assert ("Ana", "move to", "Braga", None) in relations(memory)
    assert relations(memory, "other") == [("Ana", "move to", "Faro", None)]
    assert "faro" not in memory.store.graph.entities_named(["faro"], {"user_id": "u"})


def test_traversal_reaches_two_hops_in_sql(memory) -> None:
    seed(memory)
    graph = memory.store.graph
    (caroline,) = graph.entities_named(["caroline"], {"user_id": "u"})["caroline"]
    names = {e.id: e.name for e in graph.all_entities()}
    one = {(names[r.subject_id], r.relation, names[r.object_id], r.hops) for r in graph.neighbourhood([caroline.id], 1)}
    assert one == {("Caroline", "sister", "Ana", 1)}
    two = {(names[r.subject_id], r.relation, names[r.object_id], r.hops) for r in graph.neighbourhood([caroline.id], 2)}
    assert two == {("Caroline", "sister", "Ana", 1), ("Ana", "live in", "Porto", 2), ("Ana", "move to", "Braga", 2)}
    assert all(r.sources for r in graph.neighbourhood([caroline.id], 2))


def test_forgetting_the_last_fact_removes_the_relation_and_orphan_entities(memory) -> None:
    seed(memory)
    moved = next(m for m in memory.get_all(user_id="u")["results"] if "Braga" in m["memory"])
    memory.delete(moved["id"])
    assert relations(memory) == [("Ana", "live in", "Porto", "2023-06-20T10:00:00"), ("Caroline", "sister", "Ana", None)]
    assert "braga" not in memory.store.graph.entities_named(["braga"], {"user_id": "u"})
    memory.delete_all(user_id="u")
    assert memory.store.graph.counts() == {"entities": 0, "relations": 0}
    assert doctor.check(memory).ok


def test_export_import_round_trip_draws_the_same_graph(memory, tmp_path) -> None:
    seed(memory)
    before = relations(memory)
    out = tmp_path / "export.jsonl"
    write_export(export_records(memory), str(out))
    memory.reset()
    assert memory.store.graph.counts() == {"entities": 0, "relations": 0}
    apply_import(memory, read_import(out.read_bytes()))
    assert relations(memory) == before


def test_doctor_reports_a_damaged_graph_and_repair_draws_it_again(memory) -> None:
    seed(memory)
    with memory.store.transaction():
        memory.store.graph.clear()
        memory.store.graph.add_source("no-such-relation", "no-such-memory")
    report = doctor.check(memory)
    assert not report.ok and any("graph" in p for p in report.problems)
    fixed = doctor.repair(memory)
    assert any("graph" in f for f in fixed)
    assert doctor.check(memory).ok and len(relations(memory)) == 3


def test_rebuild_is_what_adding_made(memory) -> None:
    seed(memory)
    before = relations(memory)
    with memory.store.transaction():
        rebuild(memory.store)
    assert relations(memory) == before


def test_a_query_is_lifted_by_a_two_hop_path(memory) -> None:
    say(memory, "Caroline", "Ana is my sister.", "2023-01-05T10:00:00")
    say(memory, "Bob", "Ana moved to Braga.", "2023-02-01T10:00:00")
    for i, text in enumerate(["The weather was grey all week.", "Bob bought a new bicycle.", "Lunch was soup again.",
                              "The train was late twice.", "Bob repainted the kitchen."]):
        say(memory, "Bob", text, f"2023-03-0{i + 1}T10:00:00")
    query = "what is new with Caroline's family"
    plain = memory.search(query, user_id="u", limit=3, graph=False)["results"]
    assert not any("Braga" in r["memory"] for r in plain)
    lifted = memory.search(query, user_id="u", limit=3, graph=True, explain=True, rank={"graph_weight": 1.0})["results"]
    braga = next(r for r in lifted if "Braga" in r["memory"])
    assert braga["explain"]["graph_path"] == "Caroline -sister-> Ana ; Ana -move to-> Braga"


def test_updating_a_fact_redraws_its_relations(memory) -> None:
    seed(memory)
    moved = next(m for m in memory.get_all(user_id="u")["results"] if "Braga" in m["memory"])
    memory.update(moved["id"], "Ana moved to Faro in June.")
    assert ("Ana", "move to", "Faro", None) in relations(memory)
    assert not any(o == "Braga" for _s, _r, o, _u in relations(memory))
    assert doctor.check(memory).ok


def test_a_removal_that_is_not_an_erasure_prunes_the_graph_too(memory) -> None:
    say(memory, "Caroline", "Ana moved to Braga in June.", "2023-06-20T10:00:00")
    (fact,) = memory.get_all(user_id="u")["results"]
    assert relations(memory) == [("Ana", "move to", "Braga", None)]
    with memory.store.write_lock(), memory.store.transaction():
        memory.store.delete_memories([fact["id"]])  # as reextract removes an older model's fact
    assert relations(memory) == []
    assert memory.store.graph.all_entities({"user_id": "u"}) == []


def test_a_speaker_named_with_what_is_asked_pulls_in_the_relations_that_match(memory) -> None:
    """A speaker is a hub (in every fact), no seed for a walk; with the words the query
    asks about it ("camped"), its relations with those words' stems still count."""
    nouns = [f"thing{i}" for i in range(THROUGH_MAX + 5)]  # a speaker with more relations than a walk goes through
    turns = [f"I bought a {noun}." for noun in nouns] + [
        "I went camping at the lake with my kids.", "I've been running farther to de-stress.",
    ]
    memory.add([{"role": "user", "name": "Melanie", "content": t, "created_at": "2023-05-08T10:00:00"}
                for t in turns], user_id="u", infer=False)
    graph = memory.store.graph
    (melanie,) = graph.entities_named(["melanie"], {"user_id": "u"})["melanie"]
    assert graph.degrees([melanie.id])[melanie.id] > THROUGH_MAX
    texts = {r["id"]: r["memory"] for r in memory.get_all(user_id="u")["results"]}

    camped = graph_hits(memory.store.graph_reader(), "Where has Melanie camped?", {"user_id": "u"})
    facts = [key for key, kind, _score in camped.hits if kind == "fact"]
    assert [texts[k] for k in facts] == ["I went camping at the lake with my kids."]
    assert camped.paths[facts[0]].startswith("Melanie -go")
    destress = graph_hits(memory.store.graph, "What does Melanie do to destress?", {"user_id": "u"})
    assert [texts[k] for k, kind, _ in destress.hits if kind == "fact"] == ["I've been running farther to de-stress."]
    assert graph_hits(memory.store.graph, "How is Melanie?", {"user_id": "u"}).hits == []  # the hub alone: nothing

    found = memory.search("Where has Melanie camped?", user_id="u", limit=3, graph=True, explain=True)["results"]
    lifted = next(r for r in found if "camping" in r["memory"])
    assert lifted["explain"]["graph_path"].startswith("Melanie -go")


def test_a_walk_reads_no_hub_relation_past_the_one_reaching_it(memory) -> None:
    nouns = [f"thing{i}" for i in range(THROUGH_MAX + 5)]
    turns = [f"I bought a {noun}." for noun in nouns] + ["My sister Ana lives in Porto."]
    memory.add([{"role": "user", "name": "Caroline", "content": t, "created_at": "2023-05-08T10:00:00"}
                for t in turns], user_id="u", infer=False)
    graph = memory.store.graph
    names = {e.id: e.name for e in graph.all_entities()}
    (ana,) = graph.entities_named(["ana"], {"user_id": "u"})["ana"]
    walked = {(names[r.subject_id], r.relation, names[r.object_id]) for r in graph.neighbourhood([ana.id], 2, THROUGH_MAX)}
    assert walked == {("Caroline", "sister", "Ana"), ("Ana", "live in", "Porto")}  # none of Caroline's purchases
    viewed = graph.neighbourhood([ana.id], 2)  # `mem0cli graph Ana --depth 2` shows them all
    assert len(viewed) == len(nouns) + 2
    hits = graph_hits(graph, "Where does Ana live?", {"user_id": "u"})
    texts = {r["id"]: r["memory"] for r in memory.get_all(user_id="u")["results"]}
    assert [texts[k] for k, kind, _ in hits.hits if kind == "fact"] == ["My sister Ana lives in Porto."]


def test_a_photo_shared_in_a_turn_is_drawn_from_the_facts_extracted_from_it(memory, extractor) -> None:
    """The extractor's fact leaves the caption out; the graph still reads it from the fact's turn."""
    extractor.outputs = ['["Melanie painted a horse recently"]']
    memory.add([{"role": "user", "name": "Melanie", "id": "D1:1", "created_at": "2023-05-08T10:00:00",
                 "content": "Here's my latest one! [shares a photo: a photo of a painting of a horse on a wall]"}],
               user_id="u")
    found = relations(memory)
    assert ("Melanie", "share photo of", "horse", None) in found and ("Melanie", "paint", "horse", None) in found
    with memory.store.transaction():
        rebuild(memory.store)
    assert relations(memory) == found


def test_a_list_question_keeps_places_for_the_speakers_matching_relations(memory) -> None:
    """Turns sharing the question's words fill the ten places; the one a speaker's relation
    answers ("play" -> clarinet) comes in only with the graph."""
    filler = [f"I bought a thing{i}." for i in range(THROUGH_MAX + 5)]  # Melanie is a hub
    memory.add([{"role": "user", "name": "Melanie", "content": t, "created_at": "2023-05-08T10:00:00"}
                for t in [*filler, "I play the clarinet on Sunday afternoons."]], user_id="u", infer=False)
    loud = [f"Caroline loves instruments that play loud; instruments number {i} play all day" for i in range(15)]
    memory.add([{"role": "user", "name": "Caroline", "content": t, "created_at": "2023-05-09T10:00:00"} for t in loud],
               user_id="u", infer=False)
    query = "What instruments does Melanie play?"
    # the speaker boost at its old size, under which Caroline's loud turns fill the places: the
    # test is of the places, not of the boost
    boost = {"speaker_weight": 0.5}
    plain = memory.search(query, user_id="u", limit=10, graph=False, rank=boost)["results"]
    assert not any("clarinet" in r["memory"] for r in plain)
    lifted = memory.search(query, user_id="u", limit=10, graph=True, explain=True, rank=boost)["results"]
    clarinet = next(r for r in lifted if "clarinet" in r["memory"])
    assert clarinet["explain"]["graph_path"].startswith("Melanie -play")
    unreserved = memory.search(query, user_id="u", limit=10, graph=True, rank={**boost, "graph_places": 0})["results"]
    assert not any("clarinet" in r["memory"] for r in unreserved)  # the places did it, not the fusion
    yes_no = "Does Melanie play an instrument?"  # no list question: no places kept
    assert [r["id"] for r in memory.search(yes_no, user_id="u", limit=10, graph=True, rank=boost)["results"]] == [
        r["id"] for r in memory.search(yes_no, user_id="u", limit=10, graph=True, rank={**boost, "graph_places": 0})["results"]]
