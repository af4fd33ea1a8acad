"""Measure search latency at scale against a numpy brute-force floor.

    python bench/search.py [--sizes 10000,100000] [--queries 100] [--cold-runs 7] [--json]

For each size, a store of that many synthetic facts spread over 1,000 users is
written under bench/.cache/stores/ through the real stores (FactStore and
LanceVectorStore bulk writes), as `Memory.add` leaves facts: rows, keyword-search
text, history, indexed=1, vectors, the embed_model meta. The vector table grows in
steps of GROWTH_STEP rows with `LanceVectorStore.maybe_build_index()` after each, as
Memory calls it after writes, so its indexes are those a live store would have.
MiniLM embeddings are computed once and cached under bench/.cache/ (100k short texts
take a few minutes on two cores); a store is rebuilt only when what it would hold changes.

Measured in the same run, so the ratios hold on a busy machine:
- `Memory.search` p50 / p95 with a user filter (-u) and without, and its parts
  (query embedding, vector part, keyword part, similarities, the rest), timed inside
  the same calls (the keyword part runs on a second thread during the query embedding;
  "rest" includes any wait for it);
- the numpy floor: normalised matrix @ query, argpartition top 10; with a user filter
  only that user's rows (a precomputed row index); timed before and after the searches,
  both as the bare scan of a given query vector and as a whole brute-force search
  (the same query embedding, then the scan), since `Memory.search` embeds its query too;
- recall@10 of the vector search against exact search: no filter, one user, and a
  broad filter (BROAD_USERS users), and of the bare ANN query for several nprobes;
- CLI cold start: `mem0cli search "x" -u <user>` as a whole process on the smallest
  store, p50 over --cold-runs runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
USERS = 1000
SEED = 7
CHUNK = 10_000  # embeddings are cached per chunk of texts, so 10k reuses 100k's first chunk
TOP_K = 10
STORE_VERSION = 3  # bump when build_store changes what it writes
GROWTH_STEP = 10_000  # rows appended between maybe_build_index calls
WARM_QUERIES = 5  # untimed searches first: model, caches, index pages
BROAD_USERS = 20  # the broad filter of the recall check: ~2% of the rows

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(ROOT))

# -- synthetic facts ------------------------------------------------------------
CITIES = """Seattle Portland Boston Denver Austin Chicago Toronto Vancouver Berlin Munich Lisbon Porto
Madrid Barcelona Paris Lyon Rome Milan Vienna Prague Warsaw Krakow Oslo Stockholm Helsinki Dublin
Edinburgh London Manchester Amsterdam Utrecht Brussels Zurich Geneva Tokyo Osaka Kyoto Seoul Busan
Taipei Singapore Bangkok Hanoi Sydney Melbourne Auckland Wellington Nairobi Lagos Cairo Casablanca
Mexico_City Lima Bogota Santiago Montevideo Havana Reykjavik Tallinn Riga Vilnius Athens Istanbul""".replace("_", " ").split()
JOBS = """nurse teacher software engineer data analyst carpenter chef pilot pharmacist architect
electrician accountant librarian dentist photographer journalist lawyer firefighter plumber
veterinarian translator barista mechanic paramedic geologist economist florist tailor baker""".split()
COMPANIES = """Acme Globex Initech Umbrella Hooli Stark Wayne Tyrell Cyberdyne Soylent Vandelay Pied Piper
Dunder Mifflin Wonka Gringotts Oscorp Aperture Monarch Massive Dynamic Nakatomi Virtucon""".split()
PETS = "dog cat parrot hamster rabbit turtle goldfish iguana ferret canary gecko pony".split()
PET_NAMES = """Biscuit Luna Max Pepper Milo Nala Oscar Rocky Daisy Ziggy Mochi Waffles Pixel Nugget
Tofu Pickle Sushi Bean Clover Juniper Pretzel Noodle Kiwi Mango Olive Sprout Tango Comet Fudge""".split()
FOODS = """sushi ramen lasagna tacos paella pho dumplings falafel risotto curry pierogi moussaka
ceviche gnocchi bibimbap shakshuka goulash pad_thai burritos croissants empanadas baklava""".replace("_", " ").split()
ALLERGENS = "peanuts shellfish gluten lactose pollen cats dust penicillin sesame eggs soy strawberries".split()
INSTRUMENTS = "guitar piano violin cello drums ukulele saxophone flute trumpet harp banjo accordion".split()
LANGUAGES = """Spanish French German Italian Japanese Korean Mandarin Portuguese Arabic Russian Dutch
Swedish Polish Turkish Greek Hindi Swahili Finnish Hebrew Vietnamese""".split()
HOBBIES = """hiking climbing pottery knitting chess birdwatching kayaking surfing gardening baking
painting cycling running yoga fishing camping woodworking skiing sailing photography""".split()
RELATIONS = "sister brother mother father cousin friend partner wife husband daughter son colleague neighbour".split()
NAMES = """Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert
Sybil Trent Victor Walter Yara Zoe Caroline Melanie Priya Kenji Amara Tomas Ingrid Mateo Leila""".split()
COLORS = "red blue green black white silver yellow orange grey purple".split()
CARS = "Corolla Civic Golf Model 3 Outback Mustang Prius Leaf Fiesta Clio Polo Jazz Octavia".split()
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
DRINKS = "coffee tea matcha espresso kombucha lemonade cocoa chai".split()
AUTHORS = """Tolkien Austen Orwell Murakami Atwood Pratchett Le_Guin Morrison Rowling Gaiman Christie
Borges Calvino Ishiguro Tartt Zafon""".replace("_", " ").split()
ITEMS = "bike laptop camera tent kayak piano sofa telescope drone espresso machine guitar".split()
RACES = "marathon half marathon triathlon 10k trail race ultramarathon".split()

TEMPLATES = [
    "Lives in {city}",
    "Moved to {city} in {year}",
    "Grew up in {city} and moved to {city2} for work",
    "Works as a {job} at {company}",
    "Started a new job as a {job} in {month} {year}",
    "Has a {pet} named {petname}",
    "Adopted a {pet} called {petname} from a shelter in {city}",
    "Favourite food is {food}",
    "Cooks {food} every {weekday} for the family",
    "Is allergic to {allergen}",
    "Plays the {instrument} on weekends",
    "Has been learning {language} for {n} years",
    "Enjoys {hobby} with their {relation} {name}",
    "Goes {hobby} in {city} every summer",
    "Drives a {color} {car}",
    "Visited {city} with {relation} {name} in {month} {year}",
    "Birthday is on {month} {day}",
    "Prefers {drink} over {drink2}",
    "Is reading a novel by {author}",
    "Is training for a {race} in {city}",
    "The support group meets every {weekday} evening",
    "Plans to buy a {item} for about {amount} dollars",
    "Phone number ends in {digits}",
    "Order {code} for a {item} has not arrived yet",
    "Their {relation} {name} lives in {city}",
    "Wants to visit {city} next {month}",
    "Takes {drink} with oat milk every morning",
    "Is a fan of {author} and {author2}",
    "Volunteers at the {city} animal shelter on {weekday}s",
    "Their {relation} {name} is a {job}",
]


SUFFIXES = [
    "", "", "", " since {year}", ", usually on {weekday}s", " according to their {relation}",
    " and wants to tell {name} about it", ", which they mentioned in {month}", " ({n} times so far)",
    " near {city}", " with {name}", ", though {relation} {name} disagrees",
]


def facts(n: int, seed: int = SEED) -> list[tuple[str, str]]:
    """`n` (user id, fact text) pairs, no text twice for one user (Memory would merge them).

    The first m of facts(n) are facts(m), so stores of several sizes share embeddings.
    """
    from mem0cli.memory import fact_hash

    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    out = []
    while len(out) < n:
        user = user_name(rng.randrange(USERS))
        text = _fact_text(rng)
        key = (user, fact_hash(text))
        if key not in seen:
            seen.add(key)
            out.append((user, text))
    return out


def _fact_text(rng: random.Random) -> str:
    template = rng.choice(TEMPLATES) + rng.choice(SUFFIXES)
    return template.format(
        city=rng.choice(CITIES), city2=rng.choice(CITIES), year=rng.randint(1995, 2024),
        job=rng.choice(JOBS), company=rng.choice(COMPANIES), month=rng.choice(MONTHS),
        pet=rng.choice(PETS), petname=rng.choice(PET_NAMES), food=rng.choice(FOODS),
        weekday=rng.choice(WEEKDAYS), allergen=rng.choice(ALLERGENS),
        instrument=rng.choice(INSTRUMENTS), language=rng.choice(LANGUAGES),
        n=rng.randint(1, 15), hobby=rng.choice(HOBBIES), relation=rng.choice(RELATIONS),
        name=rng.choice(NAMES), color=rng.choice(COLORS), car=rng.choice(CARS),
        day=rng.randint(1, 28), drink=rng.choice(DRINKS), drink2=rng.choice(DRINKS),
        author=rng.choice(AUTHORS), author2=rng.choice(AUTHORS), race=rng.choice(RACES),
        item=rng.choice(ITEMS), amount=rng.randint(2, 40) * 50,
        digits=f"{rng.randint(0, 9999):04d}", code=f"#{rng.randint(100000, 999999)}",
    )


QUESTIONS = [
    "where does {name} live", "what is my favourite food", "which city did I move to",
    "what pet do I have", "what is the name of my {pet}", "what am I allergic to",
    "what instrument do I play", "which language am I learning", "what do I do for work",
    "who is my {relation}", "when is my birthday", "what car do I drive", "do I like {drink}",
    "what book am I reading", "am I training for a race", "when does the support group meet",
    "what do I plan to buy", "order {code}", "phone number ending {digits}", "trip to {city}",
    "{hobby} on weekends", "jobs at {company}", "{food} recipes", "allergy to {allergen}",
    "moved in {year}", "learning {language}", "{color} car", "visit {city} next {month}",
]


def queries(n: int, seed: int = SEED + 1) -> list[tuple[str, str]]:
    """(query text, user id) pairs."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q = rng.choice(QUESTIONS).format(
            name=rng.choice(NAMES), pet=rng.choice(PETS), relation=rng.choice(RELATIONS),
            drink=rng.choice(DRINKS), code=f"#{rng.randint(100000, 999999)}",
            digits=f"{rng.randint(0, 9999):04d}", city=rng.choice(CITIES), hobby=rng.choice(HOBBIES),
            company=rng.choice(COMPANIES), food=rng.choice(FOODS), allergen=rng.choice(ALLERGENS),
            year=rng.randint(1995, 2024), language=rng.choice(LANGUAGES), color=rng.choice(COLORS),
            month=rng.choice(MONTHS),
        )
        out.append((q, user_name(rng.randrange(USERS))))
    return out


def user_name(i: int) -> str:
    return f"user-{i:04d}"


# -- embeddings, cached --------------------------------------------------------------
def load_embedder():
    from mem0cli.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


def embeddings(texts: list[str], embedder, log) -> Any:
    """Unit MiniLM vectors of `texts` (float32 matrix), cached per chunk under bench/.cache/."""
    import numpy as np

    CACHE.mkdir(parents=True, exist_ok=True)
    parts = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        digest = hashlib.sha256((embedder.model_id + "\n" + "\n".join(chunk)).encode()).hexdigest()[:16]
        path = CACHE / f"emb-{digest}.npy"
        if path.exists():
            parts.append(np.load(path))
            continue
        began = time.perf_counter()
        unique = sorted(set(chunk))
        vectors = np.asarray(embedder.embed_documents(unique), dtype=np.float32)
        row = {text: i for i, text in enumerate(unique)}
        matrix = vectors[[row[text] for text in chunk]]
        np.save(path, matrix)
        log(f"embedded texts {start}-{start + len(chunk)} in {time.perf_counter() - began:.0f}s")
        parts.append(matrix)
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dimensions), np.float32)


# -- stores ----------------------------------------------------------------------------
def store_rows(pairs: list[tuple[str, str]]) -> tuple[list[dict], list[str], list[tuple]]:
    """The memories rows, keyword-search texts and ADD events `Memory.add` would write."""
    from mem0cli.memory import fact_hash
    from mem0cli.search import search_text

    rng = random.Random(SEED + len(pairs))
    start = datetime(2022, 1, 1, tzinfo=timezone.utc)
    rows, texts, events = [], [], []
    for user, text in pairs:
        at = (start + timedelta(seconds=rng.randrange(3 * 365 * 86400))).isoformat(timespec="milliseconds")
        # half were said in a dated conversation (the form transcripts normalise times to)
        said_at = at[:19] + "+00:00" if rng.random() < 0.5 else None
        memory_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows.append({
            "id": memory_id, "memory": text, "hash": fact_hash(text), "kind": "fact",
            "user_id": user, "agent_id": None, "run_id": None, "metadata": {},
            "created_at": at, "updated_at": at, "said_at": said_at, "speaker": None,
            "superseded_by": None, "valid_until": None, "confirmations": 1,
            "model": None, "prompt_version": None,
        })
        texts.append(search_text(text, said_at))
        events.append((memory_id, "ADD", None, text, at, None))
    return rows, texts, events


def build_store(path: Path, written: tuple[list[dict], list[str], list[tuple]], matrix: Any, model_id: str, log) -> dict:
    """Write the facts through FactStore and LanceVectorStore as `Memory.add` would leave them."""
    import shutil

    from mem0cli.store.facts import FactStore
    from mem0cli.store.vectors import LanceVectorStore

    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)
    rows, texts, events = written
    timings = {}
    began = time.perf_counter()
    facts = FactStore(path / "memories.db")
    os.chmod(path / "memories.db", 0o600)
    with facts.transaction():
        facts.set_meta("embed_model", model_id)
        facts.insert_memories(rows, texts)
        facts.add_history_many(events)
    timings["sqlite_s"] = time.perf_counter() - began
    # The table grows in steps, with maybe_build_index after each as Memory calls it after
    # each write: the IVF index is trained when the table crosses ANN_INDEX_ROWS, later
    # rows are folded in, and it is trained again as the table grows, as in a live store.
    vectors = LanceVectorStore(path / "vectors", matrix.shape[1])
    timings["lance_s"] = timings["index_s"] = 0.0
    actions = []
    for step in range(0, len(rows), GROWTH_STEP):
        began = time.perf_counter()
        vectors.append(rows[step : step + GROWTH_STEP], matrix[step : step + GROWTH_STEP])
        with facts.transaction():
            facts.mark_indexed([r["id"] for r in rows[step : step + GROWTH_STEP]])
        timings["lance_s"] += time.perf_counter() - began
        began = time.perf_counter()
        done = vectors.maybe_build_index()
        timings["index_s"] += time.perf_counter() - began
        if done:
            actions.append(f"{min(step + GROWTH_STEP, len(rows))}: {', '.join(done)}")
    facts.close()
    log(f"store {len(rows)}: sqlite {timings['sqlite_s']:.1f}s, lance {timings['lance_s']:.1f}s, "
        f"indexes {timings['index_s']:.1f}s ({'; '.join(actions) or 'none'})")
    return {**{k: round(v, 2) for k, v in timings.items()}, "index_actions": actions}


def open_store(size: int, args, embedder, log) -> tuple[Path, list[tuple[str, str]], Any, dict]:
    """The store of `size` facts (built once, reused while its parameters hold)."""
    from mem0cli.store.vectors import ANN_INDEX_ROWS

    pairs = facts(size)
    matrix = embeddings([t for _, t in pairs], embedder, log)
    written = store_rows(pairs)
    path = CACHE / "stores" / str(size)
    # what the current code would write: a change to search_text() or the rows rebuilds
    digest = hashlib.sha256(json.dumps(written, sort_keys=True).encode()).hexdigest()[:16]
    stamp = {"size": size, "model": embedder.model_id, "ann_index_rows": ANN_INDEX_ROWS,
             "version": STORE_VERSION, "rows": digest}
    marker = path / "bench.json"
    if not args.rebuild and marker.exists() and json.loads(marker.read_text())["stamp"] == stamp:
        return path, pairs, matrix, json.loads(marker.read_text())["build"]
    build = build_store(path, written, matrix, embedder.model_id, log)
    marker.write_text(json.dumps({"stamp": stamp, "build": build}))
    return path, pairs, matrix, build


# -- measurements ----------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`, in milliseconds from seconds."""
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))], 2)


def top_k(matrix: Any, q: Any, k: int) -> tuple[Any, Any]:
    """The numpy floor: row indices and scores of the k best rows, best first."""
    import numpy as np

    scores = matrix @ q
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    order = np.argsort(-scores[best])
    return best[order], scores[best[order]]


def recall(found: list[int], exact_scores: Any, scores_of: Any) -> float:
    """Share of the exact top k found; a row tied with the k-th exact score counts as found."""
    if len(exact_scores) == 0:
        return 1.0
    kth = float(exact_scores[-1]) - 1e-5
    return min(1.0, sum(1 for i in set(found) if scores_of(i) >= kth) / len(exact_scores))


class Timed:
    """Wraps a function and records the seconds each call takes (the parts of a search)."""

    def __init__(self, func) -> None:
        self.func, self.calls = func, []

    def __call__(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return self.func(*args, **kwargs)
        finally:
            self.calls.append(time.perf_counter() - began)

    def take(self) -> float:
        total, self.calls = sum(self.calls), []
        return total


def measure(path: Path, pairs: list[tuple[str, str]], matrix: Any, qs: list[tuple[str, str]], embedder) -> dict:
    """Latency of Memory.search and its parts against the numpy floor, interleaved query by
    query so both see the same machine load; recall@10 of the vector search."""
    import numpy as np

    from mem0cli import Memory
    from mem0cli import filters as flt
    from mem0cli.store import local as search_mod  # the embedded store's vector and keyword parts

    memory = Memory(path, embedder=embedder)
    facts, vectors = memory.store.facts, memory.store.vectors
    row_of = {r[0]: i for i, r in enumerate(facts.conn.execute("SELECT id FROM memories ORDER BY rowid"))}
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
    by_user: dict[str, Any] = {}
    for i, (user, _text) in enumerate(pairs):
        by_user.setdefault(user, []).append(i)
    by_user = {u: np.asarray(rows) for u, rows in by_user.items()}

    # the parts are timed inside the very Memory.search calls measured
    parts = {
        "embed": Timed(embedder.embed_query),
        "vector": Timed(search_mod.vector_hits),
        "keyword": Timed(search_mod.keyword_hits),
        "similarities": Timed(vectors.similarities),
    }
    embedder.embed_query = parts["embed"]
    search_mod.vector_hits, search_mod.keyword_hits = parts["vector"], parts["keyword"]
    vectors.similarities = parts["similarities"]
    t: dict[str, list[float]] = {}
    recalls: dict[str, list[float]] = {"": [], "_user": []}
    cases = [
        (text, user, np.asarray(parts["embed"].func(text), dtype=np.float32), suffix, scope)
        for text, user in qs
        for suffix, scope in (("", None), ("_user", flt.scope_filter(user_id=user)))
    ]

    def floor_pass() -> None:
        for text, user, q, suffix, scope in cases:
            rows = unit if scope is None else unit[by_user.get(user, np.zeros(0, int))]
            began = time.perf_counter()
            top_k(rows, q, TOP_K)
            t.setdefault("floor" + suffix, []).append(time.perf_counter() - began)
            # the same scan after embedding the query text, as a brute-force search must
            began = time.perf_counter()
            top_k(rows, np.asarray(parts["embed"].func(text), dtype=np.float32), TOP_K)
            t.setdefault("floor_embedded" + suffix, []).append(time.perf_counter() - began)

    # floor, search, floor: the searches run between the two halves of the floor's
    # timings, so both see the same machine; not interleaved query by query, because BLAS
    # threads spin for a while after each call and would slow the search that followed.
    try:
        floor_pass()
        for text, user, _q, _suffix, scope in cases[: 2 * WARM_QUERIES]:
            memory.search(text, user_id=None if scope is None else user, limit=TOP_K)
        for text, user, _q, suffix, scope in cases:
            for part in parts.values():
                part.take()
            began = time.perf_counter()
            memory.search(text, user_id=None if scope is None else user, limit=TOP_K)
            lap = {"search": time.perf_counter() - began}
            lap.update({name: part.take() for name, part in parts.items()})
            # the keyword part runs on another thread while the query is embedded: what it
            # adds to a search is only the wait for it, left in "rest"
            lap["rest"] = lap["search"] - lap["embed"] - lap["vector"] - lap["similarities"]
            for key, value in lap.items():
                t.setdefault(key + suffix, []).append(value)
        floor_pass()
        # a broad filter too: BROAD_USERS users' rows, more than one exact scan should read
        group = [user_name(i) for i in range(BROAD_USERS)]
        broad = (flt.scope_filter(filters={"user_id": {"in": group}}), np.concatenate([by_user.get(u, np.zeros(0, int)) for u in group]))
        recalls["_broad"] = []
        for _text, user, q, suffix, scope in cases:
            rows = np.arange(len(unit)) if scope is None else by_user.get(user, np.zeros(0, int))
            checks = [(suffix, scope, rows)] + ([("_broad", *broad)] if scope is None else [])
            for key, tree, allowed in checks:
                _best, exact_scores = top_k(unit[allowed], q, TOP_K)
                found = [row_of[i] for i, _kind, _sim in vectors.search(q.tolist(), flt.to_lance(tree), TOP_K)]
                recalls[key].append(recall(found, exact_scores, lambda i, q=q: float(unit[i] @ q)))
    finally:
        embedder.embed_query = parts["embed"].func
        search_mod.vector_hits, search_mod.keyword_hits = parts["vector"].func, parts["keyword"].func
        memory.close()
    out: dict[str, Any] = {"queries": len(qs)}
    for key, values in t.items():
        out[key] = {"p50_ms": pct(values, 50), "p95_ms": pct(values, 95)}
    for suffix in ("", "_user"):
        out["ratio" + suffix] = round(out["search" + suffix]["p50_ms"] / max(out["floor" + suffix]["p50_ms"], 0.01), 2)
        out["ratio_embedded" + suffix] = round(
            out["search" + suffix]["p50_ms"] / max(out["floor_embedded" + suffix]["p50_ms"], 0.01), 2)
    for suffix, values in recalls.items():
        out["recall_at_10" + suffix] = round(statistics.fmean(values), 4)
    out["broad_filter_rows"] = len(broad[1])
    return out


def nprobes_sweep(path: Path, matrix: Any, qs: list[tuple[str, str]], embedder, ids: list[str]) -> dict:
    """recall@10 and latency of the bare ANN query (no filter) for several nprobes."""
    import numpy as np

    from mem0cli.store.vectors import LanceVectorStore

    store = LanceVectorStore(path / "vectors", matrix.shape[1])
    if not store._has_vector_index():
        return {}
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    row_of = {memory_id: i for i, memory_id in enumerate(ids)}
    vectors = [np.asarray(embedder.embed_query(text), dtype=np.float32) for text, _user in qs]
    out = {}
    for nprobes in (1, 2, 5, 10, 20, 40):
        times, recalls = [], []
        for q in vectors:
            query = store._table.search(q.tolist()).distance_type("cosine").limit(TOP_K).nprobes(nprobes)
            began = time.perf_counter()
            found = query.select(["id", "_distance"]).to_list()
            times.append(time.perf_counter() - began)
            _best, exact_scores = top_k(unit, q, TOP_K)
            recalls.append(recall([row_of[r["id"]] for r in found], exact_scores, lambda i, q=q: float(unit[i] @ q)))
        out[str(nprobes)] = {"recall_at_10": round(statistics.fmean(recalls), 4), "p50_ms": pct(times, 50)}
    return out


def cold_start(path: Path, runs: int) -> dict:
    """Wall time of `mem0cli search "x" -u <user>` as a new process, p50 over `runs`."""
    exe = Path(sys.executable).with_name("mem0cli")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "mem0cli"]
    cmd += ["--store", str(path), "search", "x", "-u", user_name(1)]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"cold start run failed: {done.stderr.strip()}")
    return {"runs": runs, "p50_s": round(statistics.median(times), 2), "min_s": round(min(times), 2),
            "max_s": round(max(times), 2)}


# -- report ----------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    from mem0cli.store.vectors import ANN_INDEX_ROWS

    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    embedder = load_embedder()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    qs = queries(args.queries)
    report: dict[str, Any] = {"ann_index_rows": ANN_INDEX_ROWS, "users": USERS, "top_k": TOP_K,
                              "cpus": os.cpu_count(), "load_avg": round(os.getloadavg()[0], 2),
                              "torch_threads": args.torch_threads, "sizes": {}}
    paths = {}
    for size in args.sizes:
        path, pairs, matrix, build = open_store(size, args, embedder, log)
        paths[size] = path
        log(f"measuring {size} ({len(qs)} queries)")
        report["sizes"][str(size)] = {"build": build, **measure(path, pairs, matrix, qs, embedder)}
        ids = [r[0] for r in sqlite3.connect(path / "memories.db").execute("SELECT id FROM memories ORDER BY rowid")]
        sweep = nprobes_sweep(path, matrix, qs, embedder, ids)
        if sweep:
            report["sizes"][str(size)]["nprobes_sweep"] = sweep
    if args.cold_runs:
        smallest = min(args.sizes)
        log(f"cold start on the {smallest} store ({args.cold_runs} runs)")
        report["cold_start"] = {"size": smallest, **cold_start(paths[smallest], args.cold_runs)}
    report["load_avg_end"] = round(os.getloadavg()[0], 2)
    return report


def print_table(report: dict) -> None:
    threads = report["torch_threads"] or "default"
    print(f"search latency, top {report['top_k']}, {report['users']} users, {report['cpus']} CPUs, torch threads {threads}, "
          f"load average {report['load_avg']} -> {report['load_avg_end']}; "
          f"ANN index past {report['ann_index_rows']} rows")
    head = f"{'size':>7}  {'':<26}{'p50 ms':>9}{'p95 ms':>9}"
    print(head)
    labels = [
        ("search", "Memory.search"), ("floor", "numpy floor (scan)"),
        ("floor_embedded", "numpy floor (embed + scan)"), ("embed", "  query embedding"),
        ("vector", "  vector part"), ("keyword", "  keyword part (parallel)"), ("similarities", "  similarities"),
        ("rest", "  rest (SQLite, ranking)"),
    ]
    for size, figures in report["sizes"].items():
        for suffix, scope in (("", "no filter"), ("_user", "user filter")):
            print(f"{size:>7}  [{scope}]")
            for key, label in labels:
                f = figures[key + suffix]
                print(f"{'':>7}  {label:<26}{f['p50_ms']:>9.2f}{f['p95_ms']:>9.2f}")
            print(f"{'':>7}  {'ratio search/scan':<26}{figures['ratio' + suffix]:>9.2f}")
            print(f"{'':>7}  {'ratio search/embed+scan':<26}{figures['ratio_embedded' + suffix]:>9.2f}")
            key = "recall_at_10" + suffix
            print(f"{'':>7}  {'vector recall@10':<26}{figures[key]:>9.4f}")
        print(f"{'':>7}  [{BROAD_USERS} users' filter, {figures['broad_filter_rows']} rows] vector recall@10 "
              f"{figures['recall_at_10_broad']:.4f}")
    for size, figures in report["sizes"].items():
        sweep = figures.get("nprobes_sweep")
        if sweep:
            print(f"{size:>7}  ANN query alone (top {report['top_k']}, no filter) by nprobes: " + ", ".join(
                f"{n}: recall {f['recall_at_10']:.3f} {f['p50_ms']:.1f} ms" for n, f in sweep.items()))
    if "cold_start" in report:
        c = report["cold_start"]
        print(f"cold start `mem0cli search \"x\" -u {user_name(1)}` on {c['size']}: p50 {c['p50_s']:.2f} s "
              f"(min {c['min_s']:.2f}, max {c['max_s']:.2f}, {c['runs']} runs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="store sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=100, help="queries per size (at least 100)")
    parser.add_argument("--cold-runs", type=int, default=7, help="CLI cold-start runs (0: skip)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads for the in-process runs (default: torch's own)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the stores even if cached")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
