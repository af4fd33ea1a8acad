"""Tests for mem0cli.transcripts: every format, the real exports, and every error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mem0cli.errors import InputError, TranscriptError
from mem0cli.models import Message
from mem0cli.transcripts import FORMATS, TranscriptRead, messages_from_api, read_transcript
from tests.conftest import SHARED

TRANSCRIPTS = SHARED / "transcripts"
REAL = SHARED / "real-exports"


def user(text, **extra):
    return {"role": "user", "content": text, **extra}


def assistant(text, **extra):
    return {"role": "assistant", "content": text, **extra}


def read(path: Path, fmt: str = "auto") -> TranscriptRead:
    return read_transcript(path.read_bytes(), fmt)


def texts(result: TranscriptRead, conversation: int = 0) -> list[str]:
    return [m.content for m in result.conversations[conversation].messages]


def roles(result: TranscriptRead, conversation: int = 0) -> list[str]:
    return [m.role for m in result.conversations[conversation].messages]


def alternates(result: TranscriptRead, conversation: int = 0) -> bool:
    found = roles(result, conversation)
    return all(r == ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(found))


# -- the shared sample transcripts --------------------------------------------


def test_formats_lists_every_supported_name():
    for name in ("auto", "messages", "jsonl", "text", "openai", "chatgpt", "claude",
                 "librechat", "chatbot-ui", "whatsapp"):
        assert name in FORMATS


def test_openai_messages_drops_the_system_message():
    result = read(TRANSCRIPTS / "openai-messages.json")
    assert result.format == "messages"
    assert result.records == 5
    assert len(result.conversations) == 1
    assert roles(result) == ["user", "assistant", "user", "assistant"]
    assert texts(result)[0] == "Hi, I'm Alex. I love basketball and gaming."


def test_jsonl_keeps_names_ids_and_timestamps():
    result = read(TRANSCRIPTS / "messages.jsonl")
    assert result.format == "jsonl"
    messages = result.conversations[0].messages
    assert [m.id for m in messages] == ["m1", "m2", "m3", "m4"]
    assert [m.name for m in messages] == ["alice", None, "bob", None]
    assert messages[0].created_at == "2025-03-03T10:02:00+00:00"
    assert result.records == 4 and result.skipped == 0


def test_plain_text_joins_continuation_lines():
    result = read(TRANSCRIPTS / "plain.txt")
    assert result.format == "text"
    assert roles(result) == ["user", "assistant", "user", "assistant"]
    assert texts(result)[2] == (
        "One more thing: I'm allergic to peanuts,\nso please keep that in mind when suggesting recipes."
    )


def test_chatgpt_sample_gives_two_conversations():
    result = read(TRANSCRIPTS / "chatgpt-export.json")
    assert result.format == "chatgpt"
    first, second = result.conversations
    assert (len(first.messages), len(second.messages)) == (3, 2)
    assert first.id == "c0ffee00-0000-4000-8000-000000000001"
    assert first.title == "Trip planning"
    assert first.messages[0].id == "n2"
    assert first.messages[0].created_at == "2024-05-01T10:00:00+00:00"
    assert second.messages[-1].content == "Canberra."


def test_claude_sample():
    result = read(TRANSCRIPTS / "claude-export.json")
    assert result.format == "claude"
    conversation = result.conversations[0]
    assert conversation.id == "5b0e1c1e-0000-4000-8000-00000000000a"
    assert conversation.title == "Running plan"
    assert roles(result) == ["user", "assistant", "user"]
    assert [m.id for m in conversation.messages] == ["a1", "a2", "a3"]
    assert conversation.messages[1].created_at == "2025-01-10T08:00:20+00:00"


# -- the real exports, against the counts in their README ----------------------

REAL_COUNTS = [
    ("chatgpt/librechat-chatgpt-tree.json", "chatgpt", [(3, 3)]),
    ("chatgpt/librechat-chatgpt-export.json", "chatgpt", [(3, 3), (2, 2)]),
    ("chatgpt/librechat-chatgpt-citations-fragment.json", "chatgpt", [(0, 1)]),
    ("claude/simonw-example.json", "claude", [(1, 1)]),
    ("claude/simonw-artifacts.json", "claude", [(10, 10)]),
    ("claude-web-api/osteele-claude-bakery-chat.json", "claude", [(2, 2)]),
    ("librechat/librechat-export.json", "librechat", [(3, 3)]),
    ("librechat/librechat-tree.json", "librechat", [(3, 3)]),
    ("chatbot-ui/chatbotui-export.json", "chatbot-ui", [(2, 2), (1, 1)]),
    ("whatsapp/pustur-short-chat.txt", "whatsapp", [(3, 0)]),
]


@pytest.mark.parametrize(("path", "fmt", "counts"), REAL_COUNTS)
def test_real_export_counts(path, fmt, counts):
    result = read(REAL / path)
    assert result.format == fmt
    found = [(roles(result, i).count("user"), roles(result, i).count("assistant"))
             for i in range(len(result.conversations))]
    assert found == counts
    assert all(m.content.strip() for c in result.conversations for m in c.messages)


@pytest.mark.parametrize(("path", "fmt", "counts"), REAL_COUNTS)
def test_real_export_with_explicit_format(path, fmt, counts):
    assert read(REAL / path, fmt).format == fmt


def test_chatgpt_tree_follows_current_node_only():
    result = read(REAL / "chatgpt/librechat-chatgpt-tree.json")
    found = texts(result)
    assert found[:2] == ["hi there", "Hello! How can I assist you today?"]
    assert "so cool bro" not in found and "tell me a story" not in found
    assert "atoms" in found[-1]
    assert result.conversations[0].messages[-1].id == "f63b8e17-aa5c-4ca6-a1bf-d4d285e269b8"
    assert alternates(result)


def test_chatgpt_export_skips_tool_traffic():
    result = read(REAL / "chatgpt/librechat-chatgpt-export.json")
    assert [c.title for c in result.conversations] == ["Conversation 1. Web Search", "Conversation 2"]
    assert result.conversations[0].id == "d6523d1e-7ec3-474f-a363-0e9dffdb3d93"
    assert alternates(result, 0) and alternates(result, 1)
    assert not any(t.startswith(("search(", "mclick(")) for t in texts(result, 0))


def test_chatgpt_fragment_without_current_node_keeps_the_reachable_answer():
    result = read(REAL / "chatgpt/librechat-chatgpt-citations-fragment.json")
    (message,) = result.conversations[0].messages
    assert message.role == "assistant"
    assert message.content.startswith("Signal Sciences")


def test_claude_out_of_order_messages_are_sorted():
    result = read(REAL / "claude/simonw-artifacts.json")
    raw = json.loads((REAL / "claude/simonw-artifacts.json").read_text())[0]["chat_messages"]
    expected = [raw[i]["uuid"] for i in [1, 2, 3, 4, 5, 6, 0, *range(7, 20)]]
    assert [m.id for m in result.conversations[0].messages] == expected
    assert alternates(result)


def test_claude_web_api_reads_content_blocks_when_text_is_empty():
    result = read(REAL / "claude-web-api/osteele-claude-bakery-chat.json")
    conversation = result.conversations[0]
    assert conversation.id == "8006a434-8b0b-43df-8e6d-c0a7aeb2e6b3"
    assert conversation.title == "Interactive Bakery Comparison Visualization"
    assert texts(result)[0].startswith("Make an interactive vis")
    assert alternates(result)


def test_librechat_tree_takes_the_deepest_branch():
    result = read(REAL / "librechat/librechat-tree.json")
    found = texts(result)
    assert found[0].startswith("How do I use source venv/bin/activate?")
    assert found[2] == "thanks" and found[4] == "does coding make you happy"
    assert "lol" not in found
    assert alternates(result)


def test_librechat_export_keeps_ids_and_times():
    result = read(REAL / "librechat/librechat-export.json")
    first = result.conversations[0].messages[0]
    assert first.id == "b123942f-ca1a-4b16-9e1f-ea4af5171168"
    assert first.created_at == "2024-04-09T14:32:05.230000+00:00"
    assert result.conversations[0].title == "Conversation 1. Web Search"


def test_chatbot_ui_ignores_saved_prompts():
    result = read(REAL / "chatbot-ui/chatbotui-export.json")
    assert result.conversations[0].title == "Hello what are you able to do?"
    assert not any("adfdsfsadf" in m.content for c in result.conversations for m in c.messages)


def test_whatsapp_senders_dates_and_multiline_message():
    result = read(REAL / "whatsapp/pustur-short-chat.txt")
    messages = result.conversations[0].messages
    assert [m.name for m in messages] == ["Sample User", "TestBot", "+410123456789"]
    assert [m.created_at for m in messages] == [
        "2017-03-06T00:45:00", "2017-05-08T01:48:00", "2017-04-09T01:50:00"]
    assert messages[-1].content == "How are you?\n\nIs everything alright?"


def test_whatsapp_month_first_and_12_hour_clock():
    chat = "12/25/21, 9:05 PM - Ann: Merry Christmas\n1/2/22, 10:00 AM - Bo: <Media omitted>\n"
    result = read_transcript(chat)
    assert result.format == "whatsapp"
    (message,) = result.conversations[0].messages
    assert message.created_at == "2021-12-25T21:05:00"


def test_whatsapp_ios_style():
    chat = "[25/12/2021, 21:05:09] Ann: Hi\n[25/12/2021, 21:06:00] Bo: Hello\nsecond line\n"
    messages = read_transcript(chat).conversations[0].messages
    assert [m.content for m in messages] == ["Hi", "Hello\nsecond line"]
    assert messages[0].created_at == "2021-12-25T21:05:09"


# -- small inline formats ------------------------------------------------------


def test_openai_request_body_drops_tool_traffic():
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function"}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{\"temp\": 3}"},
            {"role": "assistant", "content": [{"type": "text", "text": "It is 3 degrees."}]},
        ],
    }
    result = read_transcript(json.dumps(body))
    assert result.format == "openai"
    assert texts(result) == ["Weather in Oslo?", "It is 3 degrees."]
    assert result.records == 5


def test_openai_response_body_reads_the_first_choice():
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1714557600, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}},
                        {"index": 1, "message": {"role": "assistant", "content": "Hi!"}}]}
    result = read_transcript(json.dumps(body))
    (message,) = result.conversations[0].messages
    assert (message.role, message.content) == ("assistant", "Hello!")
    assert message.created_at == "2024-05-01T10:00:00+00:00"
    assert result.conversations[0].id == "chatcmpl-1"


def test_messages_object_with_content_parts():
    doc = {"id": 7, "messages": [
        {"role": "human", "content": [{"type": "text", "text": "first"}, {"type": "image_url"}, "second"]},
        {"role": "ai", "content": "ok", "created_at": "2025-01-01T09:00:00"}]}
    result = read_transcript(json.dumps(doc))
    assert result.format == "messages"
    assert result.conversations[0].id == "7"
    assert texts(result) == ["first\nsecond", "ok"]
    assert result.conversations[0].messages[1].created_at == "2025-01-01T09:00:00"


def test_single_message_object():
    result = read_transcript('{"role": "user", "content": "only me"}')
    assert texts(result) == ["only me"]


def test_jsonl_conversation_lines_and_blank_lines():
    lines = [
        json.dumps({"id": "c1", "messages": [{"role": "user", "content": "a"}]}),
        "",
        json.dumps({"id": "c2", "messages": [user("b"), assistant("c")]}),
    ]
    result = read_transcript("\n".join(lines) + "\n")
    assert result.format == "jsonl"
    assert [c.id for c in result.conversations] == ["c1", "c2"]
    assert texts(result, 1) == ["b", "c"]


def test_text_roles_are_case_insensitive_and_system_is_dropped():
    result = read_transcript("\n\nSystem: be nice\nHuman: hi\nAI: hello\n\nthere\n")
    assert roles(result) == ["user", "assistant"]
    assert texts(result) == ["hi", "hello\n\nthere"]


def test_bytes_with_bom_and_crlf():
    data = "\ufeffuser: hi\r\nassistant: hello\r\n".encode()
    assert texts(read_transcript(data)) == ["hi", "hello"]


def test_utf16_with_bom():
    data = '[{"role": "user", "content": "caf\u00e9"}]'.encode("utf-16")
    assert texts(read_transcript(data)) == ["caf\u00e9"]


def test_control_characters_are_stripped():
    doc = [{"role": "user", "content": "a\x00b\x07c\td\r\ne\x1b"}]
    assert texts(read_transcript(json.dumps(doc))) == ["abc\td\ne"]


def test_chatgpt_missing_current_node_falls_back_to_the_deepest_leaf():
    def node(key, parent, role, text):
        return {"id": key, "parent": parent, "children": [], "message": {
            "id": key, "author": {"role": role}, "content": {"content_type": "text", "parts": [text]}}}
    mapping = {"r": {"id": "r", "parent": None, "message": None},
               "a": node("a", "r", "user", "q"), "b": node("b", "a", "assistant", "short"),
               "c": node("c", "a", "assistant", "long"), "d": node("d", "c", "user", "more")}
    doc = [{"id": "x", "current_node": "gone", "mapping": mapping}]
    assert texts(read_transcript(json.dumps(doc))) == ["q", "long", "more"]


def test_chatgpt_parent_cycle_does_not_hang():
    mapping = {"a": {"parent": "b", "message": {"author": {"role": "user"},
                                                "content": {"content_type": "text", "parts": ["x"]}}},
               "b": {"parent": "a", "message": None}}
    assert texts(read_transcript(json.dumps([{"current_node": "a", "mapping": mapping}]))) == ["x"]
    with pytest.raises(TranscriptError, match="no messages"):
        read_transcript(json.dumps([{"current_node": "zz", "mapping": mapping}]))


def test_claude_ties_put_human_first_and_current_leaf_picks_the_branch():
    def message(uuid, sender, text, parent, minute=0, **extra):
        return {"uuid": uuid, "sender": sender, "text": text, "parent_message_uuid": parent,
                "created_at": f"2024-01-01T00:0{minute}:00Z", **extra}

    thinking = [{"type": "thinking", "thinking": "hm"}, {"type": "text", "text": "final"}]
    conv = {"uuid": "u", "current_leaf_message_uuid": "a2", "chat_messages": [
        message("a1", "assistant", "answer", "h1"),
        message("h1", "human", "question", "root"),
        message("a0", "assistant", "old answer", "h1"),
        message("a2", "assistant", "", "a1", minute=1, content=thinking),
    ]}
    result = read_transcript(json.dumps(conv))
    assert texts(result) == ["question", "answer", "final"]


# -- errors ------------------------------------------------------------------


@pytest.mark.parametrize("data", ["", "   \n\n", b"", "[]", '{"messages": []}'])
def test_empty_input_is_an_error(data):
    with pytest.raises(TranscriptError, match="no messages found"):
        read_transcript(data)


def test_only_system_messages_is_an_error():
    with pytest.raises(TranscriptError, match="no messages found"):
        read_transcript('[{"role": "system", "content": "x"}, {"role": "user", "content": "  "}]')


def test_invalid_json_names_the_line():
    data = '[\n{"role": "user", "content": "a"},\n{"role" "user"}\n]'
    with pytest.raises(TranscriptError, match=r"^line 3: invalid JSON: Expecting ':' delimiter"):
        read_transcript(data)
    with pytest.raises(TranscriptError, match="line 3"):
        read_transcript(data, skip_bad=True)  # the whole document is broken


def test_jsonl_bad_line_raises_or_is_skipped():
    data = '{"role": "user", "content": "a"}\n{"role": "assistant", "content": "b"}\n{"role": "user", "con\n'
    with pytest.raises(TranscriptError, match=r"^line 3: invalid JSON"):
        read_transcript(data)
    result = read_transcript(data, skip_bad=True)
    assert (texts(result), result.skipped, result.records) == (["a", "b"], 1, 3)


def test_jsonl_bad_first_line_can_be_skipped():
    data = '{"role": "user", "content": \n{"role": "user", "content": "b"}\n'
    with pytest.raises(TranscriptError, match=r"^line 1: invalid JSON"):
        read_transcript(data)
    assert texts(read_transcript(data, skip_bad=True)) == ["b"]


def test_jsonl_message_without_content_names_the_line():
    data = '{"role": "user", "content": "a"}\n\n{"role": "user"}\n'
    with pytest.raises(TranscriptError, match=r"^line 3: message has no content"):
        read_transcript(data)
    result = read_transcript(data, "jsonl", skip_bad=True)
    assert (texts(result), result.skipped, result.records) == (["a"], 1, 2)


def test_record_without_content_raises_or_is_skipped():
    data = json.dumps([user("a"), {"role": "assistant"}, user(5)])
    with pytest.raises(TranscriptError, match=r"^record 2: message has no content$"):
        read_transcript(data)
    result = read_transcript(data, skip_bad=True)
    assert (texts(result), result.skipped, result.records) == (["a"], 2, 3)


@pytest.mark.parametrize(("record", "error"), [
    ({"role": "wizard", "content": "x"}, r"^record 1: unknown role 'wizard'"),
    ({"content": "x"}, r"^record 1: message has no role"),
    ("just text", r"^record 1: expected a message object"),
    ({"role": "user", "content": {"a": 1}}, r"^record 1: message content must be text"),
    ({"role": "user", "content": "x", "created_at": "next tuesday"}, r"^record 1: created_at 'next tuesday'"),
])
def test_bad_records(record, error):
    with pytest.raises(TranscriptError, match=error):
        read_transcript(json.dumps([record]))


def test_text_without_a_role_prefix_names_the_line():
    """Only text before the first role line is ambiguous: whose words are they?"""
    with pytest.raises(TranscriptError, match=r"^line 1: text without a role prefix"):
        read_transcript("hello there\nuser: hi")
    with pytest.raises(TranscriptError, match=r"^line 3: text without a role prefix"):
        read_transcript("\n\nhello there\nuser: hi", "text")


def as_argument(text: str) -> list[Message]:
    """What `mem0cli add TEXT` reads: the text as one user message."""
    return read_transcript(json.dumps([user(text)]), "messages").conversations[0].messages


@pytest.mark.parametrize("text", [
    "I live in Oslo and I play the cello.\n",
    "I live in Oslo.\nI play the cello.\nMy sister is called Ingrid.",
    "  Notes from today:\r\n\r\nMoved to Oslo in March; the flat is near Frogner park.\r\n"
    "Started cello lessons again, Tuesdays at 6.\r\n\r\nTODO: call the landlord about the heating.\n\n",
    "Dear diary, my favourite colour is blue: it always was.",
])
def test_plain_text_without_any_role_is_one_user_message_as_the_argument_form(text):
    result = read_transcript(text)
    assert (result.format, result.records, len(result.conversations)) == ("text", 1, 1)
    assert result.conversations[0].messages == as_argument(text)
    assert read_transcript(text, "text").conversations == result.conversations
    assert read_transcript(text.encode("utf-8-sig")).conversations == result.conversations


def test_plain_text_keeps_its_lines_and_drops_only_the_outer_blank_space():
    result = read_transcript("\n  first line\n\nsecond line  \n")
    assert texts(result) == ["first line\n\nsecond line"]


def test_prose_opening_with_a_bracket_is_text_and_broken_json_is_still_an_error():
    for text in ("[draft] I moved to Oslo.", "{name} is my cat's name", "[true story] I met a moose"):
        result = read_transcript(text)
        assert (result.format, texts(result), roles(result)) == ("text", [text], ["user"])
    for text in ("[{not json", '[\n  {"role": "user", "content": "hi"', "[1/2] notes", "[null", "{"):
        with pytest.raises(TranscriptError, match=r"^line \d+: invalid JSON"):
            read_transcript(text)


def test_invalid_utf8_is_a_transcript_error():
    with pytest.raises(TranscriptError, match="UTF-8"):
        read_transcript(b'[{"role": "user", "content": "caf\xc3\x28"}]')


def test_deeply_nested_json_is_a_transcript_error():
    with pytest.raises(TranscriptError, match="nested too deeply"):
        read_transcript("[" * 200_000 + "]" * 200_000)
    data = '{"role": "user", "content": "a"}\n' + "{\"x\":" * 200_000 + "1" + "}" * 200_000 + "\n"
    assert read_transcript(data, skip_bad=True).skipped == 1


def test_too_long_number_is_a_transcript_error():
    with pytest.raises(TranscriptError, match="invalid JSON"):
        read_transcript('[{"role": "user", "content": "x", "id": ' + "1" * 5000 + "}]")


def test_unknown_format_and_unrecognised_json():
    with pytest.raises(TranscriptError, match="unknown transcript format 'xml'"):
        read_transcript("user: hi", "xml")
    with pytest.raises(TranscriptError, match="unrecognised transcript"):
        read_transcript('{"foo": 1}')
    with pytest.raises(TranscriptError, match="not an OpenAI"):
        read_transcript("[]", "openai")


def test_transcript_error_is_an_input_error():
    with pytest.raises(InputError):
        read_transcript("")


ODD_PARTS = {"content_type": "text", "parts": [1, {}]}
WEIRD = [
    [1, None, "x"], {"mapping": 5}, {"mapping": {"a": 5}, "current_node": "a"},
    [{"mapping": {"a": {"parent": ["x"], "message": {"author": 3, "content": {"parts": 4}}}},
      "current_node": {}}],
    [{"mapping": {"a": {"parent": None, "message": {"author": {"role": "user"}, "content": ODD_PARTS}}}}],
    {"chat_messages": [1, {"sender": 5, "content": "x"},
                       {"sender": "human", "content": [1, {"type": "text"}]}]},
    [{"chat_messages": 5}, 3], {"choices": []}, {"choices": [5]}, {"choices": [{"message": "x"}]},
    {"history": [5, {"messages": 5}]}, {"history": [{"messages": [5]}]},
    {"conversationId": 1, "messages": [{"messageId": 5, "children": 5},
                                       {"messageId": [1], "parentMessageId": {}}]},
    {"messages": [{"role": ["user"], "content": "x"}]}, {"messages": [user("x", name=5)]},
    user("x", created_at=1e300), user("x", created_at=True),
    "just a string", 42, None, [[[]]],
]


@pytest.mark.parametrize("doc", WEIRD)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("skip_bad", [False, True])
def test_odd_shapes_only_ever_raise_transcript_error(doc, fmt, skip_bad):
    try:
        result = read_transcript(json.dumps(doc), fmt, skip_bad=skip_bad)
    except TranscriptError as e:
        assert "\n" not in str(e)
    else:
        assert all(isinstance(m, Message) for c in result.conversations for m in c.messages)


def test_large_jsonl_reads_every_record():
    line = json.dumps({"role": "user", "content": "I like tea " * 5, "id": 1}) + "\n"
    data = line * 100_000
    result = read_transcript(data)
    assert result.records == 100_000


def test_deep_chatgpt_chain_without_current_node_does_not_recurse():
    size = 50_000
    mapping = {str(i): {"parent": str(i - 1) if i else None, "message": {
        "id": str(i), "author": {"role": "user" if i % 2 else "assistant"},
        "content": {"content_type": "text", "parts": [f"m{i}"]}}} for i in range(size)}
    result = read_transcript(json.dumps([{"mapping": mapping}]))
    assert len(result.conversations[0].messages) == size


# -- messages_from_api ---------------------------------------------------------


def test_api_string_is_one_user_message():
    assert messages_from_api("I live in Oslo") == [Message("user", "I live in Oslo")]


def test_api_dict_and_list():
    (one,) = messages_from_api({"role": "assistant", "content": "ok", "id": 3, "name": "bot"})
    assert (one.role, one.id, one.name) == ("assistant", "3", "bot")
    found = messages_from_api([
        {"role": "system", "content": "s"}, {"role": "Human", "content": "h"},
        {"role": "ai", "content": "a"}, {"role": "bot", "content": "b"},
        {"role": "model", "content": "m"}, {"role": "tool", "content": "t"},
    ])
    assert [m.role for m in found] == ["system", "user", "assistant", "assistant", "assistant", "tool"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03-03T10:02:00Z", "2025-03-03T10:02:00+00:00"),
    ("2025-03-03T10:02:00", "2025-03-03T10:02:00"),
    ("2025-03-03T10:02:00.5+02:00", "2025-03-03T10:02:00.500000+02:00"),
    (0, "1970-01-01T00:00:00+00:00"),
    (1714557600.5, "2024-05-01T10:00:00.500000+00:00"),
    (1714557600000, "2024-05-01T10:00:00+00:00"),
    ("1714557600", "2024-05-01T10:00:00+00:00"),
    (None, None),
])
def test_api_created_at_is_normalised(value, expected):
    (message,) = messages_from_api({"role": "user", "content": "x", "created_at": value})
    assert message.created_at == expected


def test_api_content_parts_are_joined_and_cleaned():
    (message,) = messages_from_api({"role": "user", "content": [
        {"type": "text", "text": "a\x00b"}, {"type": "image_url", "image_url": {}},
        {"type": "text", "text": "c"}]})
    assert message.content == "ab\nc"


@pytest.mark.parametrize(("value", "error"), [
    (42, "got int"),
    (b"hi", "got bytes"),
    (None, "got NoneType"),
    ([], "empty list"),
    ({"role": "user"}, r"^message 1: message has no content"),
    ({"role": "user", "content": 5}, r"^message 1: message content must be text, got a number"),
    ([user("x"), {"role": "alien", "content": "y"}], r"^message 2: unknown role 'alien'"),
    ([user("x"), "y"], r"^message 2: expected a message object"),
    ({"role": "user", "content": "x", "created_at": "soon"}, r"created_at 'soon' is not an ISO 8601"),
    ({"role": "user", "content": "x", "created_at": True}, "created_at"),
    ({"role": "user", "content": "x", "created_at": float("nan")}, "created_at"),
])
def test_api_errors(value, error):
    with pytest.raises(TranscriptError, match=error) as info:
        messages_from_api(value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("fmt", "doc"),
    [
        ("claude", [{"uuid": "c1", "chat_messages": "oops"},
                    {"uuid": "c2", "chat_messages": [{"sender": "human", "text": "hi there"}]}]),
        ("chatbot-ui", {"history": [{"id": "c1", "messages": None},
                                    {"id": "c2", "messages": [{"role": "user", "content": "hi there"}]}]}),
    ],
)
def test_a_conversation_without_its_message_list_is_named_or_skipped(fmt, doc):
    data = json.dumps(doc)
    with pytest.raises(TranscriptError, match="conversation 1: no (chat_)?messages list"):
        read_transcript(data, fmt)
    result = read_transcript(data, fmt, skip_bad=True)
    assert result.skipped == 1
    assert [c.id for c in result.conversations] == ["c2"] and texts(result) == ["hi there"]


def test_a_pasted_log_of_named_speakers_gives_each_their_messages():
    result = read_transcript("Alice: I just moved to Leeds.\nBob: I'm still in Manchester,\nteaching maths.\n10:32 Alice: nice!")
    assert [(m.role, m.name, m.content) for m in result.conversations[0].messages] == [
        ("user", "Alice", "I just moved to Leeds."),
        ("user", "Bob", "I'm still in Manchester,\nteaching maths."),
        ("user", "Alice", "nice!"),
    ]
    assert result.records == 3
    chat = read_transcript("Alice: I live in Leeds\nChatGPT: Hello Alice!").conversations[0].messages
    assert [(m.role, m.name) for m in chat] == [("user", "Alice"), ("assistant", None)]


@pytest.mark.parametrize("text", ["TODO: call mum\nNote: buy milk", "Alice: I moved to Leeds.",
                                  "Hello there\nAlice: hi\nBob: hey", "Meeting notes: Alice and Bob agreed"])
def test_notes_one_speaker_or_prose_first_stay_one_user_message(text):
    messages = read_transcript(text).conversations[0].messages
    assert [(m.role, m.name) for m in messages] == [("user", None)]


def test_invalid_json_names_the_line_column_and_problem() -> None:
    with pytest.raises(TranscriptError, match=r"^line 2: invalid JSON: Invalid control character \(column 15\)$"):
        read_transcript('[{"role": "user",\n "content": "a\tb"}]')
