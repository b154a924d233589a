"""The drill with instances per service: the SCALE syntax, their ports (infra/ports.sh's), and the figures of what
the other instances did while one was dead."""

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from drill.instances import carried, taken_over
from drill.main import Stage, parse, render_stage
from drill.observe import only_families


def test_the_drill_takes_make_ups_scale_and_places_instances_on_the_ports_make_up_would() -> None:
    config, _, _ = parse(["--scale", "intake=2 cases=2", "--base-port", "23101"])
    # infra/ports.sh with SERVICES_PORT_BASE 23100: instance i of service n on 23100 + 10 n + i
    assert config.ports == {
        "intake": (23111, 23112),
        "cases": (23121, 23122),
        "enforcement": (23103,),
        "accountability": (23104,),
        "projections": (23105,),
    }
    assert [i.name for i in config.instances("cases")] == ["cases-1", "cases-2"]
    assert config.urls("intake") == ["http://127.0.0.1:23111", "http://127.0.0.1:23112"]
    assert config.scaled


def test_one_instance_each_keeps_the_drills_own_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCALE", raising=False)
    config, _, _ = parse([])
    assert config.ports == {s: (18001 + n,) for n, s in enumerate(config.ports)}
    assert not config.scaled


def test_scale_comes_from_the_environment_as_make_up_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALE", "projections=3")
    config, _, _ = parse(["--base-port", "23101"])
    assert config.ports["projections"] == (23151, 23152, 23153)


@pytest.mark.parametrize("scale", ["intake=0", "intake=10", "gateway=2", "intake:2"])
def test_a_scale_the_stack_cannot_run_is_refused(scale: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse(["--scale", scale])
    assert f"'{scale}'" in capsys.readouterr().err


def test_partitions_with_new_records_count_as_taken_over_when_their_group_committed_further() -> None:
    before = {"g": {"t[0]": (10, 10), "t[1]": (5, 8), "t[2]": (3, 3)}}
    after = {"g": {"t[0]": (14, 14), "t[1]": (5, 9), "t[2]": (3, 3), "t[3]": (2, 2)}}
    # t[0] moved on; t[1] got a record nobody committed; t[2] got nothing; t[3] was first committed meanwhile
    assert taken_over(before, after) == {"partitions_with_new_records": 3, "committed_by_the_others": 2}


def test_what_the_others_carried_is_counted_between_the_kill_and_the_return() -> None:
    one, two = "http://127.0.0.1:23111", "http://127.0.0.1:23112"
    answered = [(0.5, one), (1.5, two), (2.0, two), (3.0, one), (9.0, two)]
    samples = {two: [(0.9, 100.0, 50.0), (1.2, 101.0, 51.0), (4.0, 130.0, 70.0), (9.5, 200.0, 90.0)]}
    assert carried([two], answered, samples, start=1.0, end=5.0) == {
        "down_s": 4.0,
        "answered_by_the_others": 2,
        "published_by_the_others": 29,
        "consumed_by_the_others": 19,
    }


def test_the_printed_report_names_the_instance_killed_and_each_instances_readiness() -> None:
    stage = Stage(
        "kill:intake",
        "kill -9 intake 并重启",
        ready_after_s=2.5,
        ready_by_instance={f"{s}-{i}": 0.0 for s in ("a", "b", "c") for i in (1, 2)} | {"a-1": 2.5},
        killed="a-1",
        carried={
            "down_s": 17.1,
            "answered_by_the_others": 160,
            "published_by_the_others": 170,
            "consumed_by_the_others": 0,
            "partitions_with_new_records": 12,
            "committed_by_the_others": 12,
        },
    )
    printed = render_stage(stage)
    assert "kill -9 a-1：其余实例独自承担 17.1s，期间应答请求 160 个" in printed
    assert "有新记录的分区 12 个，其中 12 个由其余实例提交" in printed
    assert "各实例就绪用时：a-1 2.5s，a-2 0.0s" in printed


def test_the_watcher_parses_only_the_families_it_reads_from_an_instances_metrics() -> None:
    registry = CollectorRegistry()
    Counter("events_published", "published", ["topic"], registry=registry).labels("a").inc(3)
    Counter("events_consumed", "applied", ["consumer"], registry=registry).labels("b").inc(2)
    Histogram("deadline_poller_delay_seconds", "delay", registry=registry).observe(0.4)
    text = generate_latest(registry).decode()
    kept = only_families(text, ("events_published", "events_consumed"))
    assert "deadline_poller" not in kept
    families = {f.name: [(s.name, s.value) for s in f.samples] for f in text_string_to_metric_families(kept)}
    assert families["events_published"][0] == ("events_published_total", 3.0)
    assert families["events_consumed"][0] == ("events_consumed_total", 2.0)
