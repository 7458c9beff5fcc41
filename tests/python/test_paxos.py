"""The simulated Paxos cluster from Python: the article's API, message counts, faults, values,
every error, determinism, the safety mutations and a Hypothesis model of fault sequences."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import ringpax
from ringpax import (
    ClusterIncompleteError,
    DuplicateNodeError,
    InvalidArgumentError,
    NodeDownError,
    NoQuorumError,
    PaxosError,
    RingpaxError,
    UnknownNodeError,
)
from ringpax.paxos import Paxos, PaxosStats


def cluster(n: int, **kw: Any) -> Paxos:
    p = Paxos(n, **kw)
    for i in range(1, n + 1):
        p.add_node(f"node{i}")
    return p


def test_the_article_snippet_runs_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    from paxos import Paxos
    paxos = Paxos(3)
    paxos.add_node('node1'); paxos.add_node('node2'); paxos.add_node('node3')  # noqa: E702
    paxos.propose('value1')
    print(paxos.status())
    assert capsys.readouterr().out == "{'node1': 'accept', 'node2': 'accept', 'node3': 'accept'}\n"


def test_top_level_module_re_exports_ringpax_paxos() -> None:
    import paxos

    import ringpax.paxos

    assert paxos.Paxos is ringpax.paxos.Paxos
    assert paxos.PaxosInstance is ringpax.paxos.PaxosInstance
    assert paxos.InvalidMessageError is ringpax.InvalidMessageError
    assert set(ringpax.paxos.__all__) <= set(dir(paxos))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 9])
def test_fault_free_decision_costs_exactly_4_n_minus_1_messages(n: int) -> None:
    p = cluster(n)
    assert p.propose("v") == "v"
    s = p.stats
    assert isinstance(s, PaxosStats)
    assert (s.sent, s.delivered, s.rounds) == (4 * (n - 1), 4 * (n - 1), 1)
    assert (s.dropped, s.duplicated, s.timeouts, s.learned) == (0, 0, 0, 1)
    assert set(p.status().values()) == {"accept"}


@pytest.mark.parametrize("seed", range(20))
def test_message_count_holds_with_reordering(seed: int) -> None:
    p = cluster(5, seed=seed, reorder=1.0)
    assert p.propose(seed, proposer=f"node{seed % 5 + 1}") == seed
    assert (p.stats.sent, p.stats.rounds) == (16, 1)


def test_properties_and_repr() -> None:
    p = Paxos(5, seed=7)
    assert (p.n, p.quorum, p.seed, p.nodes, p.chosen) == (5, 3, 7, [], None)
    p.add_node("a")
    p.add_node("b")
    assert p.nodes == ["a", "b"]
    assert p.status() == {"a": "idle", "b": "idle"}
    assert repr(p) == "Paxos(n=5, nodes=['a', 'b'], chosen=None)"
    assert Paxos(4).quorum == 3 and Paxos(1).quorum == 1
    assert p.network_knobs == (0.0, 0.0, 0.0)


def test_once_chosen_every_proposal_returns_it() -> None:
    p = cluster(5)
    assert p.propose("first") == "first"
    assert p.propose("second") == "first"
    for i in range(1, 6):
        assert p.propose(f"v{i}", proposer=f"node{i}") == "first"
    assert p.chosen == "first"
    assert set(p.learned().values()) == {"first"}
    assert p.violations == []


def test_only_proposers_learn() -> None:
    p = cluster(3)
    p.propose("x", proposer="node2")
    assert p.learned() == {"node1": None, "node2": "x", "node3": None}


def test_statuses_idle_promise_accept_down() -> None:
    p = cluster(3, max_rounds=20)
    assert set(p.status().values()) == {"idle"}
    p.partition("node1")
    with pytest.raises(NoQuorumError):
        p.propose("lonely")
    # node1's own acceptor promised its ballots; the others never heard of them.
    assert p.status() == {"node1": "promise", "node2": "idle", "node3": "idle"}
    p.heal()
    assert p.propose("lonely") == "lonely"
    assert set(p.status().values()) == {"accept"}
    p.crash("node3")
    assert p.status()["node3"] == "down"
    p.restart("node3")
    assert p.status()["node3"] == "accept"  # its persisted acceptance survived the crash


def test_no_quorum_raises_within_the_bound_and_recovers() -> None:
    p = cluster(5)
    for name in ("node3", "node4", "node5"):
        p.crash(name)
    t0 = time.perf_counter()
    with pytest.raises(NoQuorumError, match="no decision after") as exc:
        p.propose("x")
    assert time.perf_counter() - t0 < 10
    assert isinstance(exc.value, PaxosError) and isinstance(exc.value, RingpaxError)
    assert p.stats.rounds > 1000  # max_rounds=1000 ballots, then it gives up
    assert p.chosen is None
    p.restart("node5")
    assert p.propose("x") == "x"


def test_max_rounds_bounds_a_hopeless_call() -> None:
    p = cluster(3, drop=1.0, max_rounds=5)
    with pytest.raises(NoQuorumError):
        p.propose("x")
    assert 5 < p.stats.rounds <= 7
    p.set_network(drop=0.0)
    assert p.propose("y") == "x"  # the pending ballot carried "x"


def test_majority_side_of_a_partition_decides_and_the_minority_learns_it() -> None:
    p = cluster(5, max_rounds=50)
    p.partition(["node1", "node2"], ["node3", "node4", "node5"])
    assert p.propose("majority", proposer="node4") == "majority"
    with pytest.raises(NoQuorumError):
        p.propose("minority", proposer="node1")
    p.heal()
    assert p.propose("minority", proposer="node2") == "majority"


def test_propose_with_a_cut_off_proposer_still_returns_the_decision() -> None:
    p = cluster(3, max_rounds=30)
    p.partition("node1")
    with pytest.raises(NoQuorumError):
        p.propose("a")
    # node1 keeps retrying behind the partition; a decision elsewhere is still returned.
    assert p.propose("b", proposer="node2") == "b"
    p.heal()
    assert p.propose("c") == "b"


def test_crashed_proposer_cannot_propose_but_others_can() -> None:
    p = cluster(3)
    p.crash("node1")
    with pytest.raises(NodeDownError, match="'node1' is down"):
        p.propose("x")
    assert p.propose("x", proposer="node2") == "x"
    p.crash("node1")  # crashing a down node is a no-op
    p.restart("node1")
    p.restart("node1")  # and so is restarting an up one
    assert p.propose("y") == "x"
    assert (p.stats.crashes, p.stats.restarts) == (1, 1)


def test_contend_decides_one_value_everyone_agrees() -> None:
    for seed in range(30):
        p = cluster(5, seed=seed, reorder=0.5)
        proposals = {"node1": "a", "node3": "b", "node5": "c"}
        v = p.contend(proposals)
        assert v in proposals.values()
        learned = p.learned()
        assert all(learned[n] == v for n in proposals)
        assert p.chosen == v and p.violations == []


@pytest.mark.parametrize("seed", range(40))
def test_faulty_networks_still_decide_safely(seed: int) -> None:
    p = cluster(5, seed=seed, drop=0.2, duplicate=0.1, reorder=0.6)
    v = p.contend({"node1": 1, "node2": 2, "node4": 4})
    assert v in (1, 2, 4)
    assert p.propose(99, proposer="node5") == v
    s = p.stats
    assert s.dropped > 0
    assert s.delivered + s.dropped == s.sent + s.duplicated
    assert p.violations == []


def test_demo_setting_twenty_percent_loss_and_a_crashed_node() -> None:
    for seed in range(20):
        p = cluster(5, seed=seed, drop=0.2)
        p.crash("node5")
        assert p.propose(f"v{seed}") == f"v{seed}"
        assert p.status()["node5"] == "down"


def test_same_seed_same_run() -> None:
    def run(seed: int) -> tuple[Any, PaxosStats, str]:
        p = cluster(5, seed=seed, drop=0.3, duplicate=0.2, reorder=0.8)
        v = p.contend({"node1": "a", "node2": "b"})
        return v, p.stats, p.trace()

    assert run(3) == run(3)
    assert run(3)[2] != run(4)[2]


def test_trace_is_a_message_sequence_chart_with_names_and_values() -> None:
    p = cluster(3)
    p.propose("value1")
    chart = p.trace()
    lines = chart.splitlines()
    assert lines[0] == "nodes: n0=node1 n1=node2 n2=node3"
    assert "n0 propose 'value1'" in chart
    assert "Accept 1.0='value1'" in chart and "n0 learns 'value1'" in chart
    assert "o----->" in chart and "<-----o" in chart
    assert Paxos(3, trace=False).trace().count("\n") == 2  # legend and header only


def test_set_network_changes_the_knobs() -> None:
    p = cluster(3, seed=1)
    p.set_network(drop=0.5, duplicate=0.25, reorder=1.0)
    assert p.network_knobs == (0.5, 0.25, 1.0)
    p.set_network(drop=0.0)
    assert p.network_knobs == (0.0, 0.25, 1.0)
    with pytest.raises(InvalidArgumentError):
        p.set_network(duplicate=-0.1)
    assert p.network_knobs == (0.0, 0.25, 1.0)


# -- values -----------------------------------------------------------------------------------


class Point:
    """Equal by coordinates, unhashable."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def test_any_equality_comparable_value_can_be_proposed() -> None:
    first = [1, {"a": 2}]
    p = cluster(3)
    chosen = p.propose(first)
    assert chosen is first  # the object itself comes back
    assert p.propose([1, {"a": 2}], proposer="node2") is first
    q = cluster(3)
    pt = Point(1, 2)
    assert q.propose(pt) is pt
    assert q.propose(Point(1, 2), proposer="node3") is pt
    r = cluster(3)
    assert r.propose(None) is None and r.chosen is None  # None is a value too...
    assert r.status()["node1"] == "accept"  # ...and it was chosen
    assert r.propose("other", proposer="node2") is None


def test_values_that_refer_back_to_the_simulation_are_collected() -> None:
    import gc
    import weakref

    class Value:
        pass

    p = cluster(3)
    v = Value()
    v.sim = p  # type: ignore[attr-defined]
    p.propose(v)
    gone = weakref.ref(v)
    del p, v
    gc.collect()
    assert gone() is None


def test_equal_values_share_an_id() -> None:
    p = cluster(3)
    p.contend({"node1": 1, "node2": 1.0, "node3": True})  # all equal: one value
    assert p.chosen == 1
    assert p.trace().count("propose 1") == 3


def test_many_names_and_values_are_found_past_the_short_list() -> None:
    # Up to 16 names and values are searched in a list, more through a dict: both must behave
    # like dict keys.
    p = Paxos(40)
    names = [f"n{i}" for i in range(40)]
    for name in names:
        p.add_node("".join(name))  # equal, but not the same str object
        with pytest.raises(DuplicateNodeError):
            p.add_node(name)
    assert p.nodes == names
    assert set(p.status()) == set(names)
    values: list[Any] = [("v", i) for i in range(30)] + [Point(i, i) for i in range(3)]
    assert p.propose(values[0], proposer="n33") == ("v", 0)
    for i, v in enumerate(values):
        assert p.propose(v, proposer=names[i % 40]) == ("v", 0)
    assert p.propose(("v", 0), proposer="n39") is values[0]
    with pytest.raises(UnknownNodeError):
        p.crash("n40")
    p.crash("n17")
    assert p.status()["n17"] == "down"
    q = Paxos(3)
    for name in ["a", "b", "c"]:
        q.add_node(name)
    unhashable_first = [1]
    assert q.propose(unhashable_first) is unhashable_first
    assert q.propose(1.0, proposer="b") is unhashable_first  # not equal to [1]: still [1]


# -- bad input --------------------------------------------------------------------------------


def test_constructor_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgumentError):
        Paxos(0)
    with pytest.raises(ValueError):
        Paxos(-3)
    with pytest.raises(TypeError):
        Paxos("3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Paxos(True)
    with pytest.raises(InvalidArgumentError, match="drop"):
        Paxos(3, drop=1.5)
    with pytest.raises(InvalidArgumentError, match="reorder"):
        Paxos(3, reorder=-0.5)
    with pytest.raises(InvalidArgumentError, match="duplicate"):
        Paxos(3, duplicate=float("nan"))
    with pytest.raises(InvalidArgumentError, match="seed"):
        Paxos(3, seed=-1)
    with pytest.raises(InvalidArgumentError, match="max_rounds"):
        Paxos(3, max_rounds=0)
    with pytest.raises(InvalidArgumentError, match="mutation"):
        Paxos(3, _mutation="nonsense")
    with pytest.raises(TypeError):
        Paxos(3, 1)  # type: ignore[misc]


def test_add_node_errors() -> None:
    p = Paxos(2)
    p.add_node("a")
    with pytest.raises(DuplicateNodeError, match="'a'"):
        p.add_node("a")
    with pytest.raises(InvalidArgumentError, match="empty"):
        p.add_node("")
    with pytest.raises(TypeError):
        p.add_node(3)  # type: ignore[arg-type]
    p.add_node("b")
    with pytest.raises(InvalidArgumentError, match="already has all 2 nodes") as exc:
        p.add_node("c")
    assert isinstance(exc.value, ValueError)
    assert p.nodes == ["a", "b"]


def test_proposing_before_every_node_is_added_is_an_error() -> None:
    p = Paxos(3)
    with pytest.raises(ClusterIncompleteError, match="only 0 of 3 nodes added") as exc:
        p.propose("x")
    assert isinstance(exc.value, PaxosError)
    p.add_node("a")
    p.add_node("b")
    with pytest.raises(ClusterIncompleteError, match="only 2 of 3 nodes added: call add_node"):
        p.propose("x")
    with pytest.raises(ClusterIncompleteError, match="only 2 of 3"):
        p.contend({"a": 1})
    p.add_node("c")
    assert p.propose("x") == "x"


def test_unknown_node_names_are_key_errors() -> None:
    p = cluster(3)
    for call in (
        lambda: p.propose("x", proposer="node9"),
        lambda: p.crash("node9"),
        lambda: p.restart("nope"),
        lambda: p.partition(["node1", "ghost"]),
        lambda: p.contend({"node1": 1, "ghost": 2}),
    ):
        with pytest.raises(UnknownNodeError) as exc:
            call()
        assert isinstance(exc.value, KeyError)
        assert "not in the cluster" in str(exc.value)
    with pytest.raises(TypeError):
        p.crash(1)  # type: ignore[arg-type]
    assert p.stats.sent == 0 and p.chosen is None  # nothing ran


def test_partition_and_contend_argument_errors() -> None:
    p = cluster(3)
    with pytest.raises(InvalidArgumentError, match="more than one partition group"):
        p.partition(["node1", "node2"], ["node2"])
    with pytest.raises(TypeError):
        p.partition(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        p.contend([("node1", 1)])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        p.contend({})
    p.crash("node2")
    with pytest.raises(NodeDownError, match="down"):
        p.contend({"node1": 1, "node2": 2})


def test_errors_are_exported_from_ringpax() -> None:
    assert ringpax.NoQuorumError is NoQuorumError
    assert issubclass(ringpax.WireFormatError, ValueError)
    assert issubclass(ringpax.InvalidMessageError, ringpax.PaxosError)
    # Catching PaxosError keeps catching every Paxos error.
    assert issubclass(ringpax.NodeDownError, ringpax.PaxosError)
    assert issubclass(ringpax.ClusterIncompleteError, ringpax.PaxosError)


# -- safety mutations -------------------------------------------------------------------------


def test_mutation_proposer_ignores_accepted_is_caught() -> None:
    p = cluster(3, _mutation="proposer_ignores_accepted")
    assert p.propose("a") == "a"
    with pytest.raises(PaxosError, match="safety violation TwoValuesChosen"):
        p.propose("b", proposer="node2")
    assert len(p.violations) == 1 and "TwoValuesChosen" in p.violations[0]


def test_mutation_acceptor_ignores_promise_is_caught() -> None:
    caught = 0
    for seed in range(60):
        p = cluster(5, seed=seed, drop=0.1, reorder=1.0, _mutation="acceptor_ignores_promise")
        try:
            p.contend({"node1": "a", "node2": "b", "node3": "c"})
        except NoQuorumError:
            continue
        except PaxosError as e:
            assert "safety violation" in str(e)
            caught += 1
    assert caught >= 5


def test_without_mutation_the_same_runs_are_safe() -> None:
    for seed in range(60):
        p = cluster(5, seed=seed, drop=0.1, reorder=1.0, _mutation="none")
        p.contend({"node1": "a", "node2": "b", "node3": "c"})
        assert p.violations == []


# -- soak runner ------------------------------------------------------------------------------


def test_soak_runs_the_core_random_scenarios() -> None:
    from ringpax import _native

    r = _native.paxos_soak(0, 300)
    assert r["seeds"] == 300 and r["decisions"] == 300 and r["failures"] == []
    assert r["delivered"] + r["dropped"] == r["sent"] + r["duplicated"]
    assert r["crashes"] > 0
    bad = _native.paxos_soak(0, 300, mutation="proposer_ignores_accepted")
    kinds = {kind for _, kind, _ in bad["failures"]}
    assert "violation" in kinds
    seed, _, detail = bad["failures"][0]
    assert f"{seed:#x}" in detail and "TwoValuesChosen" in detail


def test_soak_command_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    from ringpax import _soak

    assert _soak.main(["--seeds", "200"]) == 0
    out = capsys.readouterr().out
    assert "200 seeds" in out and "200 decisions" in out and "0 violations" in out
    assert "messages/s" in out
    assert _soak.main(["--seeds", "300", "--mutation", "acceptor_ignores_promise"]) == 1
    out = capsys.readouterr().out
    assert "violation" in out and "seed " in out


# -- Hypothesis: any sequence of faults and proposals stays safe and never hangs ---------------


NAMES = [f"node{i}" for i in range(1, 6)]


class FaultyCluster(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.p = cluster(5, max_rounds=60)
        self.decided: Any = None
        self.proposed: list[int] = []
        self.down: set[str] = set()

    @rule(who=st.sampled_from(NAMES), value=st.integers(0, 9))
    def propose(self, who: str, value: int) -> None:
        if who in self.down:
            with pytest.raises(NodeDownError, match="down"):
                self.p.propose(value, proposer=who)
            return
        self.proposed.append(value)
        try:
            got = self.p.propose(value, proposer=who)
        except NoQuorumError:
            return
        assert got in self.proposed
        if self.decided is None:
            self.decided = got
        assert got == self.decided

    @rule(who=st.sampled_from(NAMES))
    def crash(self, who: str) -> None:
        self.p.crash(who)
        self.down.add(who)

    @rule(who=st.sampled_from(NAMES))
    def restart(self, who: str) -> None:
        self.p.restart(who)
        self.down.discard(who)

    @rule(side=st.sets(st.sampled_from(NAMES)))
    def partition(self, side: set[str]) -> None:
        self.p.partition(sorted(side))

    @rule()
    def heal(self) -> None:
        self.p.heal()

    @rule(drop=st.sampled_from([0.0, 0.1, 0.3]), dup=st.sampled_from([0.0, 0.2]),
          reorder=st.sampled_from([0.0, 0.5, 1.0]))
    def network(self, drop: float, dup: float, reorder: float) -> None:
        self.p.set_network(drop=drop, duplicate=dup, reorder=reorder)

    @invariant()
    def consistent(self) -> None:
        status = self.p.status()
        assert {n for n, s in status.items() if s == "down"} == self.down
        assert self.p.violations == []
        if self.decided is not None:
            assert self.p.chosen == self.decided
        learned = {v for v in self.p.learned().values() if v is not None}
        assert len(learned) <= 1 and learned <= {self.p.chosen}


TestFaultyCluster = FaultyCluster.TestCase
TestFaultyCluster.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 9), seed=st.integers(0, 2**64 - 1), proposer=st.integers(0, 8))
def test_fault_free_message_count_for_any_seed_and_proposer(n: int, seed: int,
                                                            proposer: int) -> None:
    p = cluster(n, seed=seed)
    p.propose("v", proposer=f"node{proposer % n + 1}")
    assert p.stats.sent == 4 * (n - 1)
