"""A speaker's name says who spoke, not what was said: vector search leaves it out of the
query (`search.QueryVectors`), with the real bundled embedder and real stores."""

from __future__ import annotations

from mem0cli import Memory

LEO = ["Mia! So good to see you again, Mia.", "Mia, how was your week?", "Honestly Mia, you always make me laugh.",
       "Mia, did you hear that I adopted a puppy?", "Mia, you should come over and meet him.", "Thanks Mia, that means a lot."]
MIA = ["Hey Leo, great to see you too.", "Pretty busy, work has been hectic.", "Ha, you too.",
       "No way, what breed is he?", "I'd love to! Saturday works for me.",
       "Last weekend I went kayaking on the lake for three hours."]


def test_a_named_speaker_does_not_pull_in_every_turn_addressed_to_them(tmp_path) -> None:
    memory = Memory(path=tmp_path / "store")
    chat = []
    for said_by_leo, said_by_mia in zip(LEO, MIA):
        chat += [{"role": "user", "name": "Leo", "content": said_by_leo},
                 {"role": "user", "name": "Mia", "content": said_by_mia}]
    memory.add(chat, user_id="pair", infer=False)
    found = memory.search("What sport does Mia do?", user_id="pair", limit=12, explain=True)["results"]
    kayaking = next(r for r in found if "kayaking" in r["memory"])
    # with "Mia" in the query vector, the six turns that call her by name come first (rank 11)
    assert kayaking["explain"]["vector_rank"] <= 2
    assert found[0]["memory"] == kayaking["memory"]
    memory.close()


def test_a_name_that_is_no_speaker_stays_in_the_query(tmp_path) -> None:
    memory = Memory(path=tmp_path / "store")
    memory.add([{"role": "user", "content": "I live in Seattle."},
                {"role": "user", "content": "My sister Ana lives in Porto and she teaches maths."}],
               user_id="alex", infer=False)
    assert "Porto" in memory.search("Where does Ana live?", user_id="alex", limit=1)["results"][0]["memory"]
    assert "Seattle" in memory.search("Where do I live?", user_id="alex", limit=1)["results"][0]["memory"]
    memory.close()
