"""Prompt texts for the extraction model, versioned.

Bump PROMPT_VERSION whenever a prompt, its few-shot examples or the way its
output is read changes: each memory records the version that produced it, so
a store can be re-extracted later with a better prompt or model.

The examples are invented (people, places and topics that appear in no test or
dev data) so the judge is not tuned to any conversation it is measured on.
"""

from __future__ import annotations

PROMPT_VERSION = "judge-2026.4"  # 2025.2: named pets/relatives, links, statement-then-question clauses; 2025.3: vague and general clauses dropped (candidates); 2026.1: the learned acceptance model (acceptance.py) decides, the margin one of its features. judge-2026.2: weights retrained on the merged candidates (answers, implied). judge-2026.3: owned things, hedges and bare auxiliaries dropped, a threshold for chats between peers, weights retrained on all msc-tune dialogues. judge-2026.4: nearest-neighbour features (neighbours.py), words before a verb left unconjugated, "have you ever" answers, participles in terse lists; weights retrained. Bump it when the weights are retrained, so reextract redoes older facts

# A base model continues text; a few-shot list of labelled statements makes the
# next token after "Lasting fact:" a yes/no judgement whose logits we read.
JUDGE_PREFIX = """Below, each statement was taken from a chat with an assistant. A lasting fact is something about the person or their world that is still worth remembering next month: who they are, where they live, their job, family, pets, health, preferences, plans with a date, possessions. Moods of the moment, reactions to the assistant's suggestions, questions and chit-chat are not lasting facts.

Statement: Marta works as a nurse at a children's hospital.
Lasting fact: yes

Statement: Ben is exhausted and can't think straight.
Lasting fact: no

Statement: Olga's daughter Mila is 9 years old.
Lasting fact: yes

Statement: Tom thinks the second option sounds great.
Lasting fact: no

Statement: Rita has a dog named Biscuit.
Lasting fact: yes

Statement: Sam was watching a cooking video and got curious.
Lasting fact: no

Statement: Jun is allergic to peanuts.
Lasting fact: yes

Statement: Priscilla's coworker will be annoyed.
Lasting fact: no

Statement: Lee started a new job at Brightwell Labs on 3 March 2024.
Lasting fact: yes

Statement: Omar wants to know what the weather will be like.
Lasting fact: no

Statement: Greg does not eat pork.
Lasting fact: yes

Statement: Hugo has mixed feelings about it.
Lasting fact: no

Statement: Vera's team deploys the mobile app every other Tuesday.
Lasting fact: yes

Statement: Ada has to sort out the paperwork first.
Lasting fact: no

Statement: Nils lives in Gdansk with his partner.
Lasting fact: yes

Statement: Finn's plan is just an idea for now.
Lasting fact: no
"""

# The item is read as JUDGE_ITEM_HEAD + JUDGE_ITEM; the head is the same for every
# candidate, so the model evaluates it once with the prefix (ScoringModel.prime).
JUDGE_ITEM_HEAD = "\nStatement:"
JUDGE_LABEL = "Lasting fact:"
JUDGE_ITEM = " {text}.\n" + JUDGE_LABEL
JUDGE_YES = " yes"
JUDGE_NO = " no"

# -- generative extraction (an instruction-tuned model writes the facts; generative.py) --

GENERATIVE_PROMPT_VERSION = "generate-2026.1"

GENERATIVE_SYSTEM = """You write down lasting facts about the people who chat with an assistant, as a memory for later conversations.
Rules:
- One short fact per sentence, in the third person, starting with the person's name (the name given after "Facts about").
- Only what the person says about themselves or their world: job, home, family, pets, health, preferences, possessions, tools, plans with a date. Keep numbers, versions, codes and names exactly as written.
- Nothing the assistant said, no questions, no greetings, no passing moods.
- Reply with JSON: {"facts": [...]}. When there is nothing lasting, reply {"facts": []}."""

# Invented people and topics that appear in no test or dev data.
GENERATIVE_EXAMPLES: tuple[tuple[str, list[str]], ...] = (
    (
        "Date: 2024-05-02\nFacts about: Marta\n\nMarta: I work nights as a nurse, and my dog Biscuit hates the vet."
        "\nAssistant: That sounds tiring! How old is Biscuit?\nMarta: He's 7. I'm moving to Porto in June.",
        ["Marta works nights as a nurse.", "Marta has a dog named Biscuit.", "Marta's dog Biscuit is 7 years old.",
         "Marta is moving to Porto in June 2024."],
    ),
    (
        "Date: 2023-11-14\nFacts about: Ben\n\nBen: hey, how's it going?\nAssistant: Good, thanks! What's up?"
        "\nBen: nothing much, just bored lol",
        [],
    ),
    (
        "Date: 2025-02-09\nFacts about: User\n\nUser: I'm Nils btw. We run Postgres 16 on a 4 GB VPS and I'm allergic to shellfish.",
        ["User's name is Nils.", "Nils runs Postgres 16 on a 4 GB VPS.", "Nils is allergic to shellfish."],
    ),
)

GENERATIVE_WINDOW = "Date: {date}\nFacts about: {names}\n\n{transcript}"
