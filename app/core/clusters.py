"""Clusters: named groups of items within one scope, made in steps that allow ``cluster``.

A cluster belongs to the scope it was made in (a breakout group or the plenary) and takes
items of that scope; a plenary cluster also takes groups' harvested items. Items join and
leave clusters with ``MoveNote`` (``board.py``). Deleting a cluster leaves a tombstone and
sets its items back to unclustered, with the deletion's sequence as the version of their
``cluster`` field, so no older move can put them into the deleted cluster again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.boardrights import (
    BoardActor,
    apply_fields,
    board_actor,
    check_id,
    in_reach,
    step_flags,
    target_scope,
    with_board,
)
from app.core.boardstate import Cluster
from app.core.errors import Rejected
from app.core.people import clean_name
from app.core.state import WorkshopState

MAX_CLUSTER_TITLE_CHARS = 80
MAX_CLUSTERS = 1_000  # per workshop


@dataclass(frozen=True, kw_only=True)
class CreateCluster:
    """Make a cluster; the client picks its id. Facilitators may name a group ``scope``."""

    cluster_id: str
    title: str = ""
    scope: str | None = None
    type: Literal["cluster.create"] = "cluster.create"


@dataclass(frozen=True, kw_only=True)
class RenameCluster:
    """Give a cluster another title."""

    cluster_id: str
    title: str
    type: Literal["cluster.rename"] = "cluster.rename"


@dataclass(frozen=True, kw_only=True)
class DeleteCluster:
    """Remove a cluster; its items stay on the board, unclustered."""

    cluster_id: str
    type: Literal["cluster.delete"] = "cluster.delete"


@dataclass(frozen=True, kw_only=True)
class ClusterCreated:
    """A cluster exists."""

    cluster_id: str
    title: str
    scope: str
    author: str
    step_index: int
    at: datetime
    type: Literal["cluster.created"] = "cluster.created"


@dataclass(frozen=True, kw_only=True)
class ClusterRenamed:
    """A cluster's title changed; ``version`` is this event's sequence."""

    cluster_id: str
    title: str
    version: int
    at: datetime
    type: Literal["cluster.renamed"] = "cluster.renamed"


@dataclass(frozen=True, kw_only=True)
class ClusterDeleted:
    """A cluster is gone; ``item_ids`` were in it and are unclustered now."""

    cluster_id: str
    item_ids: tuple[str, ...]
    version: int
    at: datetime
    type: Literal["cluster.deleted"] = "cluster.deleted"


ClusterCommand = CreateCluster | RenameCluster | DeleteCluster
ClusterEvent = ClusterCreated | ClusterRenamed | ClusterDeleted


def _title(value: str) -> str:
    title = clean_name(value)
    if len(title) > MAX_CLUSTER_TITLE_CHARS:
        raise Rejected(
            "invalid_argument", f"title has at most {MAX_CLUSTER_TITLE_CHARS} characters"
        )
    return title


def _cluster_for(state: WorkshopState, who: BoardActor, cluster_id: str) -> Cluster:
    cluster = state.board.clusters.get(cluster_id)
    if cluster is None or cluster.deleted:
        raise Rejected("no_such_cluster", f"no cluster {cluster_id!r}")
    if not in_reach(who, cluster.scope, cluster.harvested):
        raise Rejected("not_in_scope", f"cluster {cluster_id!r} belongs to another group")
    return cluster


def decide_create(
    state: WorkshopState, command: CreateCluster, actor: Actor, now: datetime
) -> list[ClusterEvent]:
    """Make a cluster in the actor's scope."""
    who = board_actor(state, actor, "cluster")
    check_id(command.cluster_id, "cluster_id")
    if command.cluster_id in state.board.clusters:
        raise Rejected("cluster_exists", f"cluster {command.cluster_id!r} exists already")
    if len(state.board.clusters) >= MAX_CLUSTERS:
        raise Rejected("board_full", f"a board holds at most {MAX_CLUSTERS} clusters")
    title = _title(command.title)
    index, _, _ = step_flags(state)
    return [
        ClusterCreated(
            cluster_id=command.cluster_id,
            title=title,
            scope=target_scope(state, who, command.scope),
            author=who.id,
            step_index=index,
            at=now,
        )
    ]


def decide_rename(
    state: WorkshopState, command: RenameCluster, actor: Actor, now: datetime
) -> list[ClusterEvent]:
    """Retitle a cluster in reach."""
    who = board_actor(state, actor, "cluster")
    cluster = _cluster_for(state, who, command.cluster_id)
    title = _title(command.title)
    return [ClusterRenamed(cluster_id=cluster.id, title=title, version=state.version + 1, at=now)]


def decide_delete(
    state: WorkshopState, command: DeleteCluster, actor: Actor, now: datetime
) -> list[ClusterEvent]:
    """Remove a cluster in reach; its items become unclustered."""
    who = board_actor(state, actor, "cluster")
    cluster = _cluster_for(state, who, command.cluster_id)
    members = tuple(
        sorted(
            item.id
            for item in state.board.items.values()
            if item.cluster_id == cluster.id and not item.deleted
        )
    )
    return [
        ClusterDeleted(cluster_id=cluster.id, item_ids=members, version=state.version + 1, at=now)
    ]


def evolve_created(state: WorkshopState, event: ClusterCreated) -> WorkshopState:
    """One more cluster."""
    cluster = Cluster(
        id=event.cluster_id,
        title=event.title,
        scope=event.scope,
        author=event.author,
        step_index=event.step_index,
        created_at=event.at,
    )
    return with_board(state, clusters={**state.board.clusters, cluster.id: cluster})


def evolve_renamed(state: WorkshopState, event: ClusterRenamed) -> WorkshopState:
    """A new title, if no newer title is there."""
    cluster = state.board.clusters[event.cluster_id]
    if cluster.deleted or event.version < cluster.title_version:
        return state
    renamed = replace(cluster, title=event.title, title_version=event.version)
    return with_board(state, clusters={**state.board.clusters, cluster.id: renamed})


def evolve_deleted(state: WorkshopState, event: ClusterDeleted) -> WorkshopState:
    """A cluster tombstone; its items fall back to unclustered."""
    board = state.board
    items = dict(board.items)
    for item_id in event.item_ids:
        item = items[item_id]
        if not item.deleted and item.cluster_id == event.cluster_id:
            items[item_id] = apply_fields(item, event.version, event.at, {"cluster": None})
    cluster = replace(board.clusters[event.cluster_id], deleted=True)
    return with_board(state, items=items, clusters={**board.clusters, cluster.id: cluster})


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    CreateCluster: decide_create,
    RenameCluster: decide_rename,
    DeleteCluster: decide_delete,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    ClusterCreated: evolve_created,
    ClusterRenamed: evolve_renamed,
    ClusterDeleted: evolve_deleted,
}
