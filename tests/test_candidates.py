"""Deterministic clause candidates: rewriting, splitting, and what yields nothing."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st

from mem0cli.candidates import build_candidates, display_name, normalise, rewrite_first_person, third_person
from mem0cli.extract import RuleExtractor
from mem0cli.lexicon import BEFORE_VERB
from mem0cli.models import Message


def user(text: str, name: str | None = None, when: str = "2024-05-02T10:00:00", id: str | None = None) -> Message:
    return Message(role="user", content=text, name=name, id=id, created_at=when)


def assistant(text: str) -> Message:
    return Message(role="assistant", content=text)


def texts(messages: list[Message], default_name: str | None = "alice") -> list[str]:
    return [c.text for c in build_candidates(messages, default_name)]


def test_display_names() -> None:
    assert display_name("alice") == "Alice"
    assert display_name("priya_s") == "Priya"
    assert display_name("u-77310") == "User"
    assert display_name(None) == "User"
    assert display_name("McKenzie") == "McKenzie"


def test_first_person_rewrite_conjugates() -> None:
    assert rewrite_first_person("I teach Year 5", "Aroha") == "Aroha teaches Year 5"
    assert rewrite_first_person("I'm allergic to sesame", "Nadia") == "Nadia is allergic to sesame"
    assert rewrite_first_person("I always fly with my partner", "Sam") == "Sam always flies with Sam's partner"
    assert rewrite_first_person("I don't drink alcohol", "Amara") == "Amara does not drink alcohol"
    assert rewrite_first_person("I've got two cats", "Bo") == "Bo has two cats"
    assert third_person("study") == "studies" and third_person("watch") == "watches" and third_person("moved") == "moved"


@pytest.mark.parametrize(
    ("clause", "expected"),
    [("I once saw a shark at the beach", "Sam once saw a shark at the beach"),
     ("I sure do love bourbon", "Sam sure does love bourbon"),
     ("I hardly ever read", "Sam hardly ever reads"),
     ("I quite like growing chillis", "Sam quite likes growing chillis"),
     ("I heard they are easy to train", "Sam heard they are easy to train"),
     ("I never held a snake", "Sam never held a snake"),
     ("Nor will I ever be", "Nor will Sam ever be"),
     ("I rather watch a comedy", "Sam would rather watch a comedy")],
)
def test_words_before_the_verb_are_not_conjugated(clause: str, expected: str) -> None:
    assert rewrite_first_person(clause, "Sam") == expected


@hypothesis.given(st.sampled_from(sorted(BEFORE_VERB | {"just", "really", "never"})),
                  st.sampled_from(["like", "watch", "study", "play", "heard", "saw"]))
def test_only_the_verb_after_a_pre_verb_word_is_inflected(word: str, verb: str) -> None:
    out = rewrite_first_person(f"I {word} {verb} films", "Sam").split()
    assert out[:2] == ["Sam", word] and out[2] == third_person(verb) and out[3] == "films"


def test_lowercase_chat_pronouns_are_rewritten() -> None:
    assert normalise("lol im a nurse and ive got a dog").strip() == "I'm a nurse and I've got a dog"
    got = texts([user("lol im a 3rd shift security guard so i sleep 8am-3pm")], "u-50912")
    assert "User is a 3rd shift security guard" in got
    assert "User sleeps 8am-3pm" in got
    got = texts([user("yo im lactose intolerant af so no milk stuff")], "jaylen")
    assert got[0].startswith("Jaylen is lactose intolerant")
    assert not any(" im " in t or t.startswith("im ") for t in got)


def test_clauses_are_split_into_atomic_candidates() -> None:
    got = texts([user("Context: I'm 41, about 92 kg, trying to get down to 85, and I lift weights three times a week.")], "sven")
    assert got == [
        "Sven is 41",
        "Sven is about 92 kg",
        "Sven is trying to get down to 85",
        "Sven lifts weights three times a week",
    ]
    got = texts([user("I speak Wolof and French, but I'm sitting the IELTS in March.")], "fatou")
    assert got == ["Fatou speaks Wolof and French", "Fatou is sitting the IELTS in March 2025"]


def test_questions_greetings_small_talk_yield_nothing() -> None:
    messages = [
        user("Quick question: why does sourdough need a starter?"),
        assistant("It is a culture of wild yeast."),
        user("morning!! ugh, mondays"),
        user("Got it, thanks!"),
        user("how do i convert m3u8 to mp4 w ffmpeg"),
        user("Can you write me a poem about a fox who lives in a lighthouse?"),
        user("If I ever adopted a dog, what breeds are good for a small flat?"),
        user("ok you've been a great referee"),
        user("Got this text, is it legit? 'Hi, this is your bank. I am locked out, reply with your PIN.'"),
    ]
    assert texts(messages) == []


def test_assistant_only_claims_yield_nothing() -> None:
    messages = [
        user("What are some good day hikes?"),
        assistant("Since you live in Boulder and you're an experienced hiker, try Royal Arch."),
        user("Thanks, I'll have a look."),
    ]
    assert texts(messages) == []


def test_correction_of_the_assistant_replaces_its_claim() -> None:
    messages = [
        user("running outside ok in the mornings here? its cold"),
        assistant("So to sum up: you live in Denver and you have two kids."),
        user("boulder not denver lol"),
    ]
    got = texts(messages, "u-1")
    assert "User lives in Boulder" in got
    assert not any("Denver" in t for t in got)


def test_named_speakers_sharing_a_user_id() -> None:
    messages = [
        user("Nikola and I are hiking in Montenegro next month.", name="jelena", when="2023-06-23T17:00:00", id="m1"),
        user("note I'm allergic to wasps", name="nikola", id="m2"),
        user("And I'm vegetarian.", name="jelena", id="m3"),
    ]
    cands = build_candidates(messages, "jelena")
    by_text = {c.text: c for c in cands}
    assert "Nikola and Jelena are hiking in Montenegro in July 2023" in by_text
    assert by_text["Nikola is allergic to wasps"].speaker == "Nikola"
    assert by_text["Nikola is allergic to wasps"].source_ids == ("m2",)
    assert by_text["Jelena is vegetarian"].speaker == "Jelena"


def test_pronoun_resolved_to_a_named_relative() -> None:
    got = texts([user("My daughter Chiamaka is helping me. She is 16 and very good with the camera.")], "adaeze")
    assert any(t.startswith("Adaeze's daughter Chiamaka is 16") for t in got)


def test_user_introducing_a_name_is_used() -> None:
    got = texts([user("btw call me Lena. I have a cat, Mochi.")], "u-88213")
    assert "User's name is Lena" in got
    assert "Lena has a cat, Mochi" in got


def test_possession_named_in_a_question() -> None:
    got = texts([user("How do I take a scrolling screenshot on my Pixel 8?")], "oscar")
    assert got == ["Oscar has a Pixel 8"]


def test_named_pet_or_relative_becomes_its_own_candidate() -> None:
    got = texts([user("My cat Whiskerton keeps scratching the sofa. How do I stop him?")], "oona")
    assert "Oona has a cat named Whiskerton" in got
    got = texts([user("My sister Odile's wedding is in May.")], "oona")
    assert "Oona has a sister named Odile" in got
    assert not any("Odile's's" in t or "named Odile's" in t for t in got)


def test_link_stated_beside_a_request() -> None:
    got = texts([user("Can you shorten my bio? The spec for the new parser is here: https://quill.example.net/spec, read it first.")], "pim")
    assert "The spec for the new parser is at https://quill.example.net/spec" in got
    got = texts([user("our wiki: https://wiki.example.org/team")], "pim")
    assert "Pim's wiki is at https://wiki.example.org/team" in got


def test_short_quote_does_not_swallow_the_message() -> None:
    text = "Fix the 'about' page please. I live in Tromsø. Text: 'Hi, I'm a painter and I love the sea.'"
    got = texts([user(text)], "pim")
    assert "Pim lives in Tromsø" in got
    assert not any("painter" in t for t in got)  # quoted text is not the user's claim


def test_phone_number_in_brackets_is_kept_whole() -> None:
    got = texts([user("Reach me on (212) 555-0199 after six.")], "pim")
    assert "Pim's phone number is (212) 555-0199" in got


def test_statement_before_a_question_in_one_sentence() -> None:
    got = texts([user("rn im a cook at a diner 30hrs a week, can i keep that during the course??")], "tal")
    assert any(t.startswith("Tal is a cook at a diner") or "Tal is a cook at a diner" in t for t in got)
    assert not any("keep that" in t for t in got)


def test_narrated_moment_and_its_tail_yield_nothing() -> None:
    messages = [
        user("Makes sense. No actual plans, I was reading a travel blog and got curious."),
        user("lol perfect, short is exactly what I needed"),
    ]
    assert texts(messages, "kit") == []


def test_apposition_and_trailing_so_fragment() -> None:
    got = texts([user("My youngest, Pia, is 6. I'm vegetarian so no meat stuff")], "rue")
    assert "Rue's youngest Pia is 6" in got
    assert "Rue is vegetarian" in got


def test_listed_predicates_each_carry_the_speaker() -> None:
    got = texts([user("I'm 34, live in Lisbon, and work remotely for a Berlin startup.")], "u-1")
    assert got[:3] == ["User is 34", "User lives in Lisbon", "User works remotely for a Berlin startup"]
    assert "User is 34, live in Lisbon" not in got


def test_a_predicate_after_but_keeps_the_speaker() -> None:
    got = texts([user("I used to live in Denver but moved to Austin last year.", when="2025-01-20T10:00:00")], "u-1")
    assert got == ["User used to live in Denver", "User moved to Austin in 2024"]


def test_a_request_or_a_verb_chain_inherits_no_subject() -> None:
    assert not any(t.startswith("User call") for t in texts([user("I'm busy today but call me tomorrow.")], "u-1"))
    assert texts([user("I want to travel, learn Spanish and buy a boat.")], "u-1")[0].startswith("User wants to travel, learn")


def test_an_apostrophe_lost_to_a_space_is_restored() -> None:
    assert normalise("I m from portland and I don t drive") == "I'm from portland and I don't drive"
    assert normalise("Item m here") == "Item m here"
    assert texts([user("I m not a big drinker.")], "u-1") == ["User is not a big drinker"]


def test_a_new_subject_after_and_is_its_own_clause() -> None:
    got = texts([user("Our API version is v2.3.1 and the staging cluster is called orca-stg.")], "u-1")
    assert got == ["User's API version is v2.3.1", "The staging cluster is called orca-stg"]


def test_a_request_after_so_is_cut_off() -> None:
    assert texts([user("I'm diabetic so keep that in mind for recipes.")], "u-1") == ["User is diabetic"]
    assert texts([user("I'm so tired of my commute.")], "u-1") == ["User is so tired of User's commute"]


def test_an_identifier_is_stated_once() -> None:
    assert texts([user("My phone is +44 7700 900123.")], "u-1") == ["User's phone number is +44 7700 900123"]


def test_a_schedule_with_a_definite_subject_is_a_candidate() -> None:
    assert texts([user("The team standup moved to 9:30 CET on Tuesdays and Thursdays.")], "u-1") == [
        "The team standup moved to 9:30 CET on Tuesdays and Thursdays"]
    assert texts([user("The weather was lovely.")], "u-1") == []


def test_listed_objects_with_their_uses_each_carry_the_verb() -> None:
    got = texts([user("we use kubernetes on GKE, terraform for infra, and GitHub Actions for CI")], "u-1")
    assert got == ["User uses kubernetes on GKE", "User uses terraform for infra", "User uses GitHub Actions for CI"]
    assert texts([user("I live in Paris, in a flat by the river.")], "u-1") == ["User lives in Paris, in a flat by the river"]


def test_a_second_object_without_its_verb_takes_the_verb_before_it() -> None:
    got = texts([user("I use a ThinkPad X1 Carbon running Arch, and neovim for everything.")], "u-1")
    assert got == ["User uses a ThinkPad X1 Carbon running Arch", "User uses neovim for everything"]
    # a verb with a preposition after it lends nothing: "postgres 16" is not deployed "to"
    assert not any("deploys postgres" in f for f in texts([user("we deploy to fly.io, postgres 16 for the db")], "u-1"))


@pytest.mark.parametrize(
    ("message", "fact"),
    [("gluten free btw", "User is gluten free"), ("lactose intolerant btw", "User is lactose intolerant"),
     ("pregnant btw", "User is pregnant"), ("fluent in French btw", "User is fluent in French")],
)
def test_a_terse_description_of_two_words_or_with_a_named_complement(message: str, fact: str) -> None:
    assert texts([user(message)], "u-1") == [fact]


def test_a_terse_noun_is_not_read_as_a_description() -> None:
    assert texts([user("big fan btw")], "u-1") == []


def test_a_possessive_in_the_speakers_own_clause_names_the_person_said_before() -> None:
    got = texts([user("My mum has dementia and I'm her main carer.")], "u-1")
    assert "User is User's mum's main carer" in got
    got = texts([user("My brother lives in Leeds. I visit his flat every week.")], "u-1")
    assert "User visits User's brother's flat every week" in got
    # "her" as an object is no possessive: it is left as said, not glued to the next verb
    got = texts([user("My daughter Salma is 15. I want to help her make a budget.")], "u-1")
    assert not any("Salma's make" in f for f in got), got


@pytest.mark.parametrize("message", ["The wifi SSID at home is Skynet-5G.", "The printer at work is an HP 4050."])
def test_a_thing_with_where_it_is_and_what_it_is(message: str) -> None:
    assert texts([user(message)], "u-1") == [message.rstrip(".")]


def test_a_self_introduction_followed_by_a_terse_list() -> None:
    got = texts([user("I'm Jordan, 29, software engineer at Stripe. I mostly write Ruby.")], "u-1")
    assert got[:3] == ["User's name is Jordan", "Jordan is 29 years old", "Jordan is a software engineer at Stripe"]
    assert "Jordan is 29, software engineer at Stripe" not in got


@pytest.mark.parametrize(
    ("message", "job"),
    [("I'm Jordan, 29, nurse at St Mary's.", "Jordan is a nurse at St Mary's"),
     ("Kai here. 30, intern at Google.", "Kai is an intern at Google"),
     ("I'm Lee, 45, volunteer for Oxfam.", "Lee is a volunteer for Oxfam")],
)
def test_a_noun_at_a_named_workplace_in_a_terse_list_is_a_job_not_a_verb(message: str, job: str) -> None:
    got = texts([user(message)], "u-1")
    assert job in got
    assert not any(w in f for f in got for w in (" nurses ", " interns ", " volunteers "))  # not read as a verb


def stored(messages: list[Message], default_name: str) -> list[str]:
    """What the rules store, after the well-formedness check ("Jordan's name is Jordan" is dropped there)."""
    return [f.text for f in RuleExtractor().extract(messages, default_name=display_name(default_name)).facts]


@pytest.mark.parametrize(
    "message",
    ["I'm Jordan: retired, widowed, 70", "I'm Jordan. Retired, widowed, 70.", "Hi, I'm Jordan - retired, widowed, 70",
     "I'm Jordan, retired, widowed, 70"],
)
def test_participles_in_a_terse_list_describe_the_speaker(message: str) -> None:
    got = stored([user(message)], "jordan")
    assert got == ["Jordan is retired", "Jordan is widowed", "Jordan is 70 years old"]  # not "Jordan retired, ..."


@hypothesis.given(st.lists(st.sampled_from(["retired", "widowed", "married", "divorced", "engaged", "vegan",
                                            "welder", "41", "Cork"]), min_size=2, max_size=4, unique=True),
                  st.sampled_from([": ", ", ", ". ", " - "]))
def test_each_part_of_an_introduced_terse_list_is_its_own_fact(parts: list[str], separator: str) -> None:
    got = stored([user(f"I'm Jordan{separator}{', '.join(parts)}")], "jordan")
    assert len(got) == len(parts) and all(f.startswith("Jordan is ") or f.startswith("Jordan lives ") for f in got)
    assert all(part.lower() in f.lower() for part, f in zip(parts, got))


def test_a_capitalised_participle_opening_a_list_is_no_place() -> None:
    assert texts([user("Retired and widowed.")], "jordan") == ["Jordan is retired", "Jordan is widowed"]
    assert texts([user("Tired, bored.")], "jordan") == ["Jordan is tired", "Jordan is bored"]
    assert texts([user("Moved there, married.")], "jordan") == ["Jordan moved there, married"]  # a verb: a clause


def test_compound_subject_with_me_and_hyphenated_words() -> None:
    assert "User and User's brother Sam run a landscaping business" in texts(
        [user("Me and my brother Sam run a landscaping business.")], "u-1")
    assert "User uses zsh with oh-my-zsh" in texts([user("My OS is Ubuntu 22.04 and I use zsh with oh-my-zsh.")], "u-1")


def test_a_short_comment_on_the_thing_just_named_is_cut_off() -> None:
    assert texts([user("I have a peanut allergy, it's severe.")], "u-1") == ["User has a peanut allergy"]
    assert texts([user("My order number is #A-99812 and it hasn't arrived.")], "u-1")[0] == "User's order number is #A-99812"


@pytest.mark.parametrize("text", ["I'm good thanks, how are you?", "I'm back!", "I'm so tired", "I'm curious about black holes",
                                  "I love this explanation!", "I was just wondering how rainbows form", "I'm having a rough day",
                                  "I'm just browsing ideas for a gift", "I'm only asking about the return policy",
                                  "I might maybe try yoga at some point", "I could possibly learn Spanish one of these days",
                                  "We may get a dog eventually"])
def test_passing_states_and_remarks_about_the_chat_yield_nothing(text: str) -> None:
    assert texts([user(text)], "u-1") == []


@pytest.mark.parametrize("text, expected", [("I'm good at math.", "User is good at math"), ("I'm vegan.", "User is vegan"),
                                            ("I might move to Porto in May.", "User might move to Porto in May 2024"),
                                            ("Maybe I can go golfing sometime.", "Maybe User can go golfing sometime"),
                                            ("I'm happy with my job at Acme.", "User is happy with User's job at Acme")])
def test_a_lasting_state_is_still_a_candidate(text: str, expected: str) -> None:
    assert texts([user(text)], "u-1") == [expected]
