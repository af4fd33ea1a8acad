"""First messages a new user types, through the real bundled extractor (issue 17's first-touch defects).

Each message is its own conversation with its own user_id, as in a first `mem0cli add`. What must
hold whatever the judge decides: every stored fact is well formed, small talk stores nothing, and the
facts that the candidate rules alone make right (split predicates, the name in the subject) are the
ones stored.
"""

from __future__ import annotations

import pytest

from mem0cli.candidates import display_name
from mem0cli.extract import LlamaCppExtractor
from mem0cli.models import Message
from mem0cli.wellformed import problems

pytestmark = pytest.mark.e2e

FIRST_MESSAGES = [
    ("u-1", "I'm 34, live in Lisbon, and work remotely for a Berlin startup."),
    ("dana", "Hi! I'm Dana, a product manager at Shopify. I love hiking and my dog Biscuit."),
    ("u-2", "we use kubernetes on GKE, terraform for infra, and GitHub Actions for CI"),
    ("u-3", "Our API version is v2.3.1 and the staging cluster is called orca-stg."),
    ("u-4", "My partner Lee and I are getting married in June."),
    ("u-5", "I used to live in Denver but moved to Austin last year."),
    ("u-6", "I'm Jordan, 29, software engineer at Stripe."),
    ("u-7", "my email is jo.doe@example.com and my phone is +44 7700 900123"),
    ("u-8", "I have a peanut allergy, it's severe."),
    ("u-9", "Me and my brother Sam run a landscaping business."),
]
SMALL_TALK = ["I'm good thanks, how are you?", "I'm back!", "lol ok thanks", "hmm let me think", "Good morning!",
              "I love this explanation!", "can you help me write an email to my landlord?"]


@pytest.fixture(scope="module")
def extractor() -> LlamaCppExtractor:
    return LlamaCppExtractor()


def stored(extractor: LlamaCppExtractor, user_id: str, text: str) -> list[str]:
    messages = [Message("user", text, id="m1", created_at="2025-01-20T10:00:00")]
    return [f.text for f in extractor.extract(messages, default_name=display_name(user_id)).facts]


def test_first_messages_store_only_well_formed_facts(extractor: LlamaCppExtractor) -> None:
    out = {text: stored(extractor, user_id, text) for user_id, text in FIRST_MESSAGES}
    names = {"User", "Dana", "Jordan"}
    assert all(not problems(f, names) for facts in out.values() for f in facts), out
    assert not any("Dana is Dana" in f or "User's partner Lee" == f for facts in out.values() for f in facts), out
    assert {"User is 34", "User lives in Lisbon"} <= set(out[FIRST_MESSAGES[0][1]]), out
    assert "User uses terraform for infra" in out[FIRST_MESSAGES[2][1]], out
    assert "User's API version is v2.3.1" in out[FIRST_MESSAGES[3][1]], out
    assert out[FIRST_MESSAGES[7][1]].count("User's phone number is +44 7700 900123") == 1, out


def test_small_talk_stores_nothing(extractor: LlamaCppExtractor) -> None:
    assert {text: stored(extractor, "u-1", text) for text in SMALL_TALK} == {text: [] for text in SMALL_TALK}


def test_participles_in_a_terse_self_introduction_are_descriptions(extractor: LlamaCppExtractor) -> None:
    facts = stored(extractor, "jordan", "I'm Jordan: retired, widowed, 70")
    assert facts and set(facts) <= {"Jordan is retired", "Jordan is widowed", "Jordan is 70 years old"}, facts
    assert "Jordan is retired" in facts, facts  # not "Jordan retired, widowed, 70" (a verb)


@pytest.mark.parametrize(
    ("text", "fact"),
    [("I use a ThinkPad X1 Carbon running Arch, and neovim for everything.", "User uses neovim for everything"),
     ("gluten free btw", "User is gluten free"),
     ("My mum has dementia and I'm her main carer.", "User is User's mum's main carer"),
     ("The wifi SSID at home is Skynet-5G.", "The wifi SSID at home is Skynet-5G")],
)
def test_tools_terse_descriptions_possessives_and_identifiers_are_stored(
    extractor: LlamaCppExtractor, text: str, fact: str
) -> None:
    facts = stored(extractor, "u-1", text)
    assert fact in facts, facts
    assert all(not problems(f, {"User"}) for f in facts), facts


def test_a_peer_chat_reply_stores_no_leftovers(extractor: LlamaCppExtractor) -> None:
    messages = [Message("user", "I got my new bike yesterday. It's awesome how art can show emotions.", id="m1",
                        name="Mel", created_at="2025-01-20T10:00:00"),
                Message("user", "Wow, that's great! Thanks Mel, it was amazing being there with you.", id="m2",
                        name="Jo", created_at="2025-01-20T10:01:00")]
    facts = [f.text for f in extractor.extract(messages).facts]
    assert not any(f.startswith(("Wow", "Thanks")) or "bike is awesome" in f for f in facts), facts
    assert all(not problems(f, {"Mel", "Jo"}) for f in facts), facts
