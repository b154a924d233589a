"""The drill's broker faults on a three-node cluster: when they run, and the stall figures they report."""

import pytest

from drill.main import parse, stalls
from drill.observe import Progress


def test_a_cluster_drill_runs_its_broker_faults_before_the_whole_broker_outage() -> None:
    config, plan, _ = parse(["--kafka-nodes", "3", "--kafka-port", "22067"])
    assert plan.faults[-5:] == ("broker:kill", "brokers:stop", "kafka", "postgres", "tamper")
    assert config.bootstrap == "127.0.0.1:22067,127.0.0.1:22068,127.0.0.1:22069"
    _, one, _ = parse(["--kafka-nodes", "1"])
    assert "broker:kill" not in one.faults


def test_broker_faults_need_a_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse(["--kafka-nodes", "1", "--faults", "brokers:stop"])
    assert "--kafka-nodes 3" in capsys.readouterr().err


def test_stalls_are_the_longest_times_without_progress_and_publishing_counts_from_the_restart() -> None:
    progress = Progress(published_at=[1.0, 2.0, 14.0, 15.0], consumed_at=[1.5, 9.5, 15.0], most_in_outbox=40)
    assert stalls(progress, 0.0, 16.0, restarted=12.5, up=13.5) == {
        "published_s": 12.0,
        "consumed_s": 8.0,
        "published_after_restart_s": 1.5,
        "brokers_start_s": 1.0,
        "most_in_outbox": 40,
    }
    assert stalls(progress, 0.0, 16.0)["published_after_restart_s"] is None
