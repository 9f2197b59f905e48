"""One contract for every device registry (memory, SQLite, PostgreSQL): upserts by
token, pruning, and keyset pages of followers filtered by interest."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.sql import SQL, Identifier

from adapters.device_registry import MemoryDeviceRegistry, open_sqlite_device_registry
from adapters.postgres_device_registry import PostgresDeviceRegistry
from adapters.postgres_schema import ensure_schema, postgres_datastore
from domain.devices import Device, Interest, Platform
from domain.notification_ports import DeviceRegistry
from domain.push import Target

Make = Callable[[], DeviceRegistry]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    """A factory of fresh, empty registries; PostgreSQL: each in a schema of its own,
    dropped afterwards."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    opened: list[DeviceRegistry] = []
    schemas: list[str] = []

    def make() -> DeviceRegistry:
        registry: DeviceRegistry
        if request.param == "memory":
            registry = MemoryDeviceRegistry()
        elif request.param == "sqlite":
            registry = open_sqlite_device_registry(str(tmp_path / f"{uuid.uuid4().hex}.sqlite"))
        else:
            schemas.append(f"devices_{uuid.uuid4().hex[:12]}")
            datastore = postgres_datastore(url, schema=schemas[-1], pool_size=1)
            ensure_schema(datastore)
            registry = PostgresDeviceRegistry(datastore)
            registry.create_table()
        opened.append(registry)
        return registry

    yield make
    for registry in opened:
        registry.close()
    if schemas:
        cleanup = postgres_datastore(url, pool_size=1)
        try:
            with cleanup.transaction(commit=True) as c:
                for schema in schemas:
                    c.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))
        finally:
            cleanup.close()


@pytest.fixture
def registry(make_registry: Make) -> DeviceRegistry:
    return make_registry()


def device(
    token: str,
    *,
    platform: Platform = Platform.APNS,
    teams: tuple[str, ...] = ("T1",),
    games: tuple[str, ...] = (),
    wants: tuple[Interest, ...] = (Interest.ALL,),
) -> Device:
    return Device(token, platform, frozenset(teams), frozenset(games), frozenset(wants))


def every_follower(
    registry: DeviceRegistry,
    teams: tuple[str, ...],
    game_id: str,
    interest: Interest,
    limit: int = 10_000,
) -> list[Target]:
    found: list[Target] = []
    after = ""
    while page := registry.followers(teams, game_id, interest, after=after, limit=limit):
        assert len(page) <= limit
        found.extend(page)
        after = page[-1].token
    return found


def tokens(targets: list[Target]) -> list[str]:
    return [t.token for t in targets]


def test_register_answers_new_then_replaced_and_get_round_trips(registry: DeviceRegistry) -> None:
    first = device("a1", teams=("T1", "T2"), games=("g1",), wants=(Interest.GOALS,))
    assert registry.register(first) is True
    assert registry.get("a1") == first
    second = device("a1", platform=Platform.FCM, teams=("T3",), wants=(Interest.FINALS,))
    assert registry.register(second) is False
    assert registry.get("a1") == second
    assert registry.get("unknown") is None


def test_a_registration_replaces_the_old_follows_whole(registry: DeviceRegistry) -> None:
    registry.register(device("a1", teams=("T1",), games=("g1",)))
    registry.register(device("a1", platform=Platform.FCM, teams=("T2",)))
    assert registry.followers(["T1"], "g1", Interest.GOALS) == []
    assert registry.followers(["T2"], "", Interest.GOALS) == [Target("a1", Platform.FCM)]


def test_register_many_upserts_with_the_last_registration_winning(
    registry: DeviceRegistry,
) -> None:
    registry.register(device("a1", teams=("T1",)))
    registry.register_many(
        [
            device("a1", teams=("T2",)),
            device("b2", teams=("T1",)),
            device("b2", teams=("T3",), platform=Platform.FCM),
        ]
    )
    assert registry.get("a1") == device("a1", teams=("T2",))
    assert registry.get("b2") == device("b2", teams=("T3",), platform=Platform.FCM)
    assert registry.followers(["T1"], "", Interest.ALL) == []
    assert tokens(registry.followers(["T2", "T3"], "", Interest.GOALS)) == ["a1", "b2"]


def test_remove_forgets_a_device_and_says_whether_it_was_registered(
    registry: DeviceRegistry,
) -> None:
    registry.register(device("a1"))
    assert registry.remove("a1") is True
    assert registry.get("a1") is None
    assert registry.followers(["T1"], "", Interest.GOALS) == []
    assert registry.remove("a1") is False


def test_pruned_tokens_are_never_followers_and_prune_is_idempotent(
    registry: DeviceRegistry,
) -> None:
    registry.register_many([device(f"t{i}") for i in range(5)])
    assert registry.prune(["t1", "t3", "never"], "Unregistered") == 2
    assert registry.prune(["t1", "t3"], "Unregistered") == 0
    assert tokens(every_follower(registry, ("T1",), "", Interest.GOALS)) == ["t0", "t2", "t4"]
    assert registry.get("t1") is None
    pruned = registry.pruned("t1")  # type: ignore[attr-defined]
    assert pruned is not None and pruned.reason == "Unregistered"
    assert registry.pruned("t0") is None  # type: ignore[attr-defined]


def test_a_pruned_token_registered_again_is_live_and_new(registry: DeviceRegistry) -> None:
    registry.register(device("a1"))
    registry.prune(["a1"], "BadDeviceToken")
    assert registry.register(device("a1", teams=("T2",))) is True
    assert registry.followers(["T2"], "", Interest.GOALS) == [Target("a1", Platform.APNS)]
    assert registry.pruned("a1") is None  # type: ignore[attr-defined]
    registry.prune(["b1"], "never registered: nothing to remember")
    registry.register(device("b1"))
    registry.prune(["b1"], "410")
    registry.register_many([device("b1", teams=("T3",))])
    assert tokens(registry.followers(["T3"], "", Interest.GOALS)) == ["b1"]


def test_followers_of_teams_and_the_game_are_each_token_once(registry: DeviceRegistry) -> None:
    registry.register_many(
        [
            device("both", teams=("H", "A")),
            device("home", teams=("H",)),
            device("game", teams=(), games=("g1",)),
            device("all3", teams=("H", "A"), games=("g1",), platform=Platform.FCM),
            device("other", teams=("X",), games=("g2",)),
        ]
    )
    found = registry.followers(["H", "A"], "g1", Interest.GOALS)
    assert found == [
        Target("all3", Platform.FCM),
        Target("both", Platform.APNS),
        Target("game", Platform.APNS),
        Target("home", Platform.APNS),
    ]
    assert tokens(registry.followers(["H", "A"], "", Interest.GOALS)) == ["all3", "both", "home"]


@pytest.mark.parametrize("interest", list(Interest))
def test_followers_are_the_devices_that_want_to_hear_it(
    registry: DeviceRegistry, interest: Interest
) -> None:
    wants_sets = [
        (Interest.GOALS,),
        (Interest.FINALS,),
        (Interest.CARDS,),
        (Interest.ALL,),
        (Interest.GOALS, Interest.CARDS),
        (Interest.FINALS, Interest.ALL),
    ]
    devices = [device(f"d{i}", wants=wants) for i, wants in enumerate(wants_sets)]
    registry.register_many(devices)
    expected = [d.token for d in devices if d.wants_to_hear(interest)]
    assert tokens(registry.followers(["T1"], "", interest)) == expected
    assert len(expected) >= 2  # 'all' is always among them, and something else


def test_a_limit_below_one_is_refused(registry: DeviceRegistry) -> None:
    with pytest.raises(ValueError):
        registry.followers(["T1"], "", Interest.GOALS, limit=0)


def test_writes_from_many_threads_all_land(registry: DeviceRegistry) -> None:
    def register(start: int) -> None:
        for i in range(start, start + 20):
            registry.register(device(f"t{i:03d}"))

    threads = [threading.Thread(target=register, args=(n * 20,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens(every_follower(registry, ("T1",), "", Interest.ALL)) == [
        f"t{i:03d}" for i in range(80)
    ]


def test_racing_registrations_of_one_token_leave_one_whole_registration(
    registry: DeviceRegistry,
) -> None:
    start = threading.Barrier(4)

    def register(team: str) -> None:
        start.wait()
        for _ in range(10):
            registry.register(device("same", teams=(team,)))

    teams = ("T1", "T2", "T3", "T4")
    threads = [threading.Thread(target=register, args=(team,)) for team in teams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = registry.get("same")
    assert final is not None and len(final.teams) == 1
    for team in teams:  # followed through the final registration's team only
        expected = ["same"] if team in final.teams else []
        assert tokens(registry.followers([team], "", Interest.GOALS)) == expected


# Tokens share prefixes and differ in case and punctuation, so the order is code points.
TOKENS = st.text(alphabet="aAbB0_:-.", min_size=1, max_size=6)
FOLLOWS = st.sets(st.sampled_from(["team:H", "team:A", "game:g1", "team:X"]), min_size=1)
DEVICES = st.dictionaries(
    TOKENS,
    st.tuples(
        FOLLOWS,
        st.sets(st.sampled_from(list(Interest)), min_size=1),
        st.sampled_from(list(Platform)),
    ),
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(found=DEVICES, limit=st.integers(1, 12), interest=st.sampled_from(list(Interest)))
def test_paging_with_any_limit_returns_each_follower_once_in_token_order(
    make_registry: Make,
    found: dict[str, tuple[set[str], set[Interest], Platform]],
    limit: int,
    interest: Interest,
) -> None:
    registry = make_registry()
    try:
        check_paging(registry, found, limit, interest)
    finally:
        registry.close()  # one pool per example: PostgreSQL connections are few


def check_paging(
    registry: DeviceRegistry,
    found: dict[str, tuple[set[str], set[Interest], Platform]],
    limit: int,
    interest: Interest,
) -> None:
    devices = [
        Device(
            token,
            platform,
            frozenset(f[5:] for f in follows if f.startswith("team:")),
            frozenset(f[5:] for f in follows if f.startswith("game:")),
            frozenset(wants),
        )
        for token, (follows, wants, platform) in found.items()
    ]
    registry.register_many(devices)
    expected = sorted(
        (
            Target(d.token, d.platform)
            for d in devices
            if d.wants_to_hear(interest) and (d.teams & {"H", "A"} or "g1" in d.games)
        ),
        key=lambda t: t.token,
    )
    paged = every_follower(registry, ("H", "A"), "g1", interest, limit=limit)
    assert [t.token for t in paged] == sorted(t.token for t in expected)
    assert paged == expected
