"""Graph memory without a store: clauses to relations, query names, hop scores."""

from __future__ import annotations

import pytest

from mem0cli.graph.parse import base_verb, entity_key, parse_fact
from mem0cli.graph.search import predicate_stems, query_keys, stem


def triples(text: str, speaker: str | None = None) -> list[tuple[str, str, str]]:
    return [(t.subject.name, t.relation, t.object.name) for t in parse_fact(text, speaker)]


def kinds(text: str, speaker: str | None = None) -> dict[str, str]:
    out = {}
    for t in parse_fact(text, speaker):
        out[t.subject.name] = t.subject.kind
        out[t.object.name] = t.object.kind
    return out


def test_a_clause_is_subject_verb_and_prepositional_objects() -> None:
    assert triples("Ana lives in Porto") == [("Ana", "live in", "Porto")]
    assert triples("Ana moved to Braga last month") == [("Ana", "move to", "Braga")]
    assert kinds("Ana moved to Braga") == {"Ana": "person", "Braga": "place"}


def test_residence_and_employer_are_slots_that_hold_one_object() -> None:
    (live,) = parse_fact("Ana lives in Porto")
    (moved,) = parse_fact("Ana moved to Braga")
    assert live.slot == moved.slot == "residence"
    (work,) = parse_fact("I work at Globex Corp now", "Sam")
    assert (work.subject.name, work.relation, work.object.name, work.object.kind) == (
        "Sam", "work at", "Globex Corp", "organisation")
    assert work.slot == "employer"
    assert parse_fact("Ana went to Porto")[0].slot is None  # a visit closes nothing


def test_first_person_is_the_speaker_and_possessives_are_relations() -> None:
    assert triples("My sister Ana lives in Porto.", "Caroline") == [
        ("Caroline", "sister", "Ana"), ("Ana", "live in", "Porto")]
    (sister, _) = parse_fact("My sister Ana lives in Porto.", "Caroline")
    assert sister.object.aliases == ("Caroline's sister",)
    assert kinds("My dog Max loves the beach", "Tom") == {"Tom": "person", "Max": "pet", "beach": "thing"}


def test_a_copula_with_a_possessive_states_the_kinship() -> None:
    assert triples("Ana is Caroline's sister") == [("Caroline", "sister", "Ana")]


def test_her_after_a_named_subject_is_that_person() -> None:
    assert ("Melanie", "go camping with", "Melanie's kids") in triples("Melanie goes camping with her kids")
    assert ("Melanie", "go", "camping") in triples("Melanie goes camping with her kids")


def test_she_in_the_next_clause_is_the_last_subject() -> None:
    assert ("Ana", "work at", "Initech") in triples("Ana moved to Lisbon. She works at Initech.")


def test_negations_questions_and_time_words_state_no_relation() -> None:
    assert triples("Yasmin does not eat meat") == []
    assert triples("Ana never lived in Porto") == []
    assert all(o not in {"yesterday", "week", "it"} for _s, _r, o in triples("Ana went to it yesterday last week"))
    assert triples("") == [] and triples("   ") == []


def test_photo_captions_and_parentheses_are_not_objects() -> None:
    found = triples("I painted a sunset (8 May 2023) [shares a photo: a painting of a lake]", "Mel")
    assert found == [("Mel", "paint", "sunset")]


@pytest.mark.parametrize(
    ("word", "base"),
    [("moved", "move"), ("lives", "live"), ("studies", "study"), ("went", "go"), ("stopped", "stop"),
     ("joined", "join"), ("works", "work"), ("relocated", "relocate"), ("visited", "visit"),
     ("handled", "handle"), ("juggling", "juggle"), ("travelled", "travel"), ("called", "call"), ("spelled", "spell")],
)
def test_base_verb(word: str, base: str) -> None:
    assert base_verb(word) == base


def test_a_verb_before_to_and_a_second_verb_is_one_relation() -> None:
    assert triples("Maria plans to visit Spain") == [("Maria", "plan to visit", "Spain")]
    assert triples("Jon decided to open a dance studio") == [("Jon", "decide to open", "dance studio")]
    assert triples("Ana moved to the city") == [("Ana", "move to", "city")]  # a place, not a verb


def test_a_superlative_a_time_phrase_and_their_name_no_object() -> None:
    assert triples("Thandiwe's longest ever was the Two Oceans half") == []
    assert ("Ana", "run at", "moment") not in triples("Ana runs 40 km a week at the moment, mostly around Durban")
    # "their" is the zoo's, not Gulnara's: no "Gulnara's exotic animal vet"
    assert all("Gulnara's" not in o for _s, _r, o in triples("Gulnara works at the city zoo as their vet"))


def test_entity_keys_ignore_case_spacing_and_curly_apostrophes() -> None:
    assert entity_key("  Caroline\u2019s   Sister ") == "caroline's sister"
    assert entity_key("Melanie's kids") == entity_key("melanie's kid") == "melanie's kid"
    assert entity_key("stories") == "story" and entity_key("class") == "class" and entity_key("Paris") == "paris"


def test_query_keys_name_entities_aliases_and_possessive_pronouns() -> None:
    keys = query_keys("What activities does Melanie do with her kids?")
    assert "melanie" in keys and "melanie's kid" in keys and "kid" in keys
    assert "what" not in keys and "does" not in keys
    keys = query_keys("Where does Caroline's sister live?")
    assert "caroline's sister" in keys and "caroline" in keys


def test_a_name_given_later_names_the_same_entity() -> None:
    from bench.graph_relations import graph_of

    lines = graph_of([("User's brother's name is Declan", "User", None), ("Declan met Aoife at university", "User", None)])
    assert lines == ["Declan (person) -meet at-> university (thing)", "Declan (person) -meet-> Aoife (person)",
                     "User (person) -brother-> Declan (person)"]


def test_a_huge_fact_is_read_only_at_its_start() -> None:
    found = triples("Ana lives in Porto. " + "walrus quartz " * 800_000)  # 10 MB: only its start is read
    assert found[0] == ("Ana", "live in", "Porto") and len(found) < 10


@pytest.mark.parametrize(
    ("word", "expected"),
    [("camped", "camp"), ("camping", "camp"), ("hiking", "hike"), ("hikes", "hike"), ("books", "book"),
     ("de-stress", "destress"), ("Melanie's", "melanie"), ("activities", "activity"), ("art", "art")],
)
def test_stem_reduces_inflections_and_hyphens(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_predicate_stems_are_what_a_query_asks_besides_the_names() -> None:
    assert predicate_stems("Where has Melanie camped?", ["melanie", "Melanie"]) == {"camp"}
    assert predicate_stems("What books has Melanie's family read?", ["melanie"]) == {"book", "family", "read"}
    assert predicate_stems("What does Melanie do to destress?", ["melanie"]) == {"destress"}
    assert predicate_stems("How is Melanie?", ["melanie"]) == set()


def shown(text: str, speaker: str | None = "Melanie") -> list[tuple[str, str, str]]:
    from mem0cli.graph.shown import shown_triples

    return [(t.subject.name, t.relation, t.object.name) for t in shown_triples(text, speaker)]


def test_a_shared_photo_is_the_speaker_sharing_what_its_caption_names() -> None:
    found = shown("Look! [shares a photo: a photo of a painting of a sunset over a lake]")
    assert found == [("Melanie", "share photo of", "painting"), ("Melanie", "share photo of", "sunset"),
                     ("Melanie", "share photo over", "lake")]
    assert shown("Look! [shares a photo: a photo of a cup with a dog face on it]")[0] == ("Melanie", "share photo of", "cup")
    assert shown("[shares a photo: a photo]") == [] and shown("no photo here") == []
    assert shown("[shares a photo: a photo of a cup]", None) == []  # nobody to share it


def test_heres_my_thing_is_the_speaker_showing_it() -> None:
    found = shown("Wow, great. Here's a photo of my horse painting I did recently.")
    assert ("Melanie", "show of", "Melanie's horse painting") in found
    assert all(obj not in {"photo", "pic"} for _s, _r, obj in found)  # the medium names nothing
    assert ("Melanie", "show", "Melanie's painting") in shown("Check out my painting for the art show!")


@pytest.mark.parametrize(
    ("question", "many"),
    [("What activities does Melanie partake in?", True), ("Which cities has Jon visited?", True),
     ("What types of pottery have Melanie and her kids made?", True), ("What LGBTQ+ events has Caroline attended?", True),
     ("What is Caroline's identity?", False), ("What class does Ana take?", False),
     ("What did the posters say?", False), ("When did Melanie paint a sunset?", False),
     ("Where has Melanie camped?", True), ("What has Maria done to feel closer to her faith?", True),
     ("What has Caroline's mother said?", False), ("Where has Ana's brother been?", True),
     ("What books do you recommend for a long flight?", True),
     ("What emotions did Sam feel at the wedding?", False), ("Which tools were on the bench?", False),
     ("How many dogs has Maria adopted?", True), ("How many times has Ana moved?", True),
     ("How many weeks passed between the two trips?", False), ("How many years ago did Sam move?", False),
     ("What are some changes Caroline has faced?", True), ("What people has Maria helped?", True),
     ("What children does Ana teach?", True), ("What are Ana's plans?", False)],
)
def test_a_list_question_has_a_plural_noun_after_what_or_which_and_no_single_occasion(question: str, many: bool) -> None:
    from mem0cli.ranking import asks_for_many

    assert asks_for_many(question) is many


def test_the_graphs_best_hits_take_the_last_places_one_per_turn() -> None:
    from mem0cli.ranking import Scored, select, with_graph_places

    def item(key: str, score: float, kind: str = "message", graph_rank: int | None = None) -> Scored:
        return Scored(key, kind, score=score, graph_rank=graph_rank)

    ranked = [item(f"t{i}", 1 - i / 100) for i in range(10)]  # the fused list's ten best turns
    ranked[2].graph_rank = 1  # shown already: no new place
    ranked += [item("g1", 0.3, graph_rank=2), item("fact-g1", 0.4, "fact", graph_rank=3), item("g2", 0.2, graph_rank=4),
               item("g3", 0.1, graph_rank=5)]
    sources = {"fact-g1": ["g1"]}
    chosen = [i.key for i in select(with_graph_places(ranked, sources, 5, 2), sources, 5)]
    # the first three stay; g1 gives way to its fact, which stands for g1 once; then g2
    assert chosen == ["t0", "t1", "t2", "fact-g1", "g2"]
    assert with_graph_places(ranked, sources, 5, 0) == ranked
    plain = [item(f"t{i}", 1 - i / 100) for i in range(8)]
    assert with_graph_places(plain, {}, 5, 2) == plain  # no graph hits: nothing moves


def test_a_huge_turn_shows_only_what_its_start_holds() -> None:
    from mem0cli.graph.shown import shown_triples

    found = shown_triples("Here's my dog. " + "[shares a photo: a photo of a cat] " * 400_000, "Mel")  # 14 MB
    assert ("Mel", "show", "Mel's dog") in [(t.subject.name, t.relation, t.object.name) for t in found]
    assert len(found) < 500
