"""Branching exports: walk one path through nodes stored as parent links.

ChatGPT, the Claude web API and LibreChat keep edits and regenerations as a
tree, `{node id: parent id or None}` here; a conversation is the path from the
root down to one leaf.
"""

from __future__ import annotations


def _path_to(parents: dict[str, str | None], leaf: str | None) -> list[str]:
    """Node ids from the root down to `leaf`, following parent links."""
    path: list[str] = []
    seen: set[str] = set()
    node = leaf
    while node is not None and node in parents and node not in seen:
        seen.add(node)
        path.append(node)
        node = parents[node]
    path.reverse()
    return path


def _deepest_leaf(parents: dict[str, str | None]) -> str | None:
    """The leaf farthest from its root; the last one on ties."""
    has_child = {p for p in parents.values() if p in parents}
    depths: dict[str, int] = {}
    best, best_depth = None, -1
    for node in parents:
        depth = _depth(node, parents, depths)
        if node not in has_child and depth >= best_depth:
            best, best_depth = node, depth
    return best


def _depth(node: str, parents: dict[str, str | None], memo: dict[str, int]) -> int:
    """Depth of `node`, memoised so that all depths together take linear time."""
    chain: list[str] = []
    on_chain: set[str] = set()
    current: str | None = node
    while current is not None and current in parents and current not in memo and current not in on_chain:
        on_chain.add(current)  # a cycle stops here
        chain.append(current)
        current = parents[current]
    depth = memo.get(current, 0) if current is not None else 0
    for item in reversed(chain):
        depth += 1
        memo[item] = depth
    return memo[node]
