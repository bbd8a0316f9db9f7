"""Port history from Mist device events: windows, dedupe, flap counts, availability, persistence."""

from __future__ import annotations

import json

import pytest

from circuitstats.history import (
    DAY,
    WEEK,
    PortHistory,
    event_key,
    newest_event_time,
    oldest_event_time,
    port_summary,
)

NOW = 1_764_400_000.0
MAC = "001122aabbcc"
HOUR = 3600.0


def event(ts: float, kind: str = "GW_PORT_DOWN", port: str = "ge-0/0/1", mac: str = MAC) -> dict:
    """A device event as searchOrgDeviceEvents returns it."""
    return {
        "timestamp": ts,
        "type": kind,
        "mac": mac,
        "site_id": "site-1",
        "org_id": "org-1",
        "device_type": "gateway",
        "port_id": port,
        "text": f"{kind} {port}",
    }


def down(ts: float, **kw) -> dict:
    return event(ts, "GW_PORT_DOWN", **kw)


def up(ts: float, **kw) -> dict:
    return event(ts, "GW_PORT_UP", **kw)


def read_week(events: list[dict], now: float = NOW) -> PortHistory:
    """A history after its first (7-day) read at ``now``."""
    history = PortHistory()
    start, end = history.next_window(now)
    history.ingest(events, start, end)
    return history


# ---------------------------------------------------------------------------------------------
# Windows and incremental reads
# ---------------------------------------------------------------------------------------------


def test_first_window_is_the_last_seven_days():
    assert PortHistory().next_window(NOW) == (NOW - WEEK, NOW)


def test_later_windows_start_at_the_last_read_minus_the_overlap():
    history = PortHistory(overlap=300)
    history.ingest([], NOW - WEEK, NOW)
    assert history.next_window(NOW + 60) == (NOW - 300, NOW + 60)


def test_window_never_reaches_back_further_than_seven_days_after_a_long_outage():
    history = PortHistory()
    history.ingest([], NOW - WEEK, NOW)
    later = NOW + 10 * DAY
    assert history.next_window(later) == (later - WEEK, later)


def test_a_failed_read_not_ingested_leaves_the_next_window_where_the_last_good_one_ended():
    history = PortHistory(overlap=0)
    history.ingest([], NOW - WEEK, NOW)
    # the read at NOW + 60 failed: the collector does not ingest; the next one covers both
    assert history.next_window(NOW + 120) == (NOW, NOW + 120)


def test_overlapping_reads_do_not_count_an_event_twice():
    history = PortHistory()
    first = [down(NOW - 2 * HOUR), up(NOW - HOUR)]
    assert history.ingest(first, NOW - WEEK, NOW) == 2
    # the next window overlaps the last 5 minutes; Mist answers the late UP again
    start, end = history.next_window(NOW + 60)
    assert history.ingest([up(NOW - HOUR), down(NOW + 30)], start, end) == 1
    summary = history.summary(MAC, "ge-0/0/1", NOW + 60)
    assert summary["flaps_24h"] == 3


def test_incremental_reads_add_up_to_one_read_of_everything():
    events = [down(NOW - 3 * DAY), up(NOW - 3 * DAY + HOUR), down(NOW - HOUR), up(NOW - 30 * 60)]
    whole = read_week(events)
    pieces = PortHistory()
    pieces.ingest(events[:2], NOW - WEEK, NOW - DAY)
    start, end = pieces.next_window(NOW)
    pieces.ingest(events[2:], start, end)
    assert pieces.summary(MAC, "ge-0/0/1", NOW) == whole.summary(MAC, "ge-0/0/1", NOW)
    assert pieces.summary(MAC, "ge-0/0/1", NOW)["flaps_7d"] == 4


def test_a_first_read_cut_short_newest_first_is_completed_by_backfills():
    events = [down(NOW - 5 * DAY), up(NOW - 4 * DAY), down(NOW - 2 * DAY), up(NOW - 20 * HOUR)]
    whole = read_week(events)
    pieces = PortHistory()
    start, end = pieces.next_window(NOW)
    newest_two = events[2:]  # the budget ran out after the newest page
    pieces.ingest(newest_two, oldest_event_time(newest_two), end)
    assert pieces.summary(MAC, "ge-0/0/1", NOW)["flaps_24h"] == 1, "the last day is known at once"
    assert pieces.summary(MAC, "ge-0/0/1", NOW)["flaps_7d"] is None, "the week is not"
    backfill = pieces.backfill_window(NOW)
    assert backfill == (NOW - WEEK, NOW - 2 * DAY + 1)
    pieces.ingest(events[1:2], oldest_event_time(events[1:2]), backfill[1])  # cut short again
    backfill = pieces.backfill_window(NOW)
    assert backfill == (NOW - WEEK, NOW - 4 * DAY + 1)
    pieces.ingest(events[:1], *backfill)  # complete: the week is covered
    assert pieces.backfill_window(NOW) is None and pieces.backfill_window(NOW + 60) is None
    assert pieces.summary(MAC, "ge-0/0/1", NOW) == whole.summary(MAC, "ge-0/0/1", NOW)
    assert pieces.summary(MAC, "ge-0/0/1", NOW)["flaps_7d"] == 4
    assert oldest_event_time([event(NOW, "GW_VPN_PATH_DOWN"), "junk"]) is None


def test_after_a_long_stop_the_figures_wait_for_the_reads_to_catch_up():
    history = read_week([down(NOW - 3 * DAY), up(NOW - 3 * DAY + 60)], now=NOW - 2 * DAY)  # then stopped
    assert history.summary(MAC, "ge-0/0/1", NOW - 2 * DAY + 600)["flaps_7d"] == 2, "fresh: known"
    later = history.summary(MAC, "ge-0/0/1", NOW, up=True)
    assert (later["flaps_24h"], later["flaps_7d"], later["availability_7d"]) == (None, None, None)
    start, end = history.next_window(NOW)
    history.ingest([down(NOW - DAY), up(NOW - DAY + 60)], start, end)  # caught up
    caught_up = history.summary(MAC, "ge-0/0/1", NOW, up=True)
    assert (caught_up["flaps_24h"], caught_up["flaps_7d"]) == (1, 4)  # the down at exactly -24 h is outside


def test_events_arriving_out_of_order_are_sorted():
    history = read_week([up(NOW - HOUR), down(NOW - 2 * HOUR)])
    assert history.events[f"{MAC}|ge-0/0/1"] == [(NOW - 2 * HOUR, False), (NOW - HOUR, True)]


def test_other_event_types_and_malformed_events_are_ignored():
    junk = [
        event(NOW - HOUR, "GW_VPN_PATH_DOWN"),
        {"type": "GW_PORT_DOWN", "mac": MAC, "timestamp": NOW},  # no port
        {"type": "GW_PORT_DOWN", "port_id": "ge-0/0/1", "timestamp": NOW},  # no mac
        down("yesterday"),
        down(float("nan")),
        down(True),
        "not an event",
        None,
    ]
    history = read_week(junk)
    assert history.events == {}


def test_keys_normalise_mac_and_unit_zero():
    assert event_key("00:11:22:AA:BB:CC", "ge-0/0/1.0") == f"{MAC}|ge-0/0/1"
    assert event_key("00-11-22-aa-bb-cc", "ge-0/0/1.100") == f"{MAC}|ge-0/0/1.100"
    assert event_key(None, "ge-0/0/1") is None and event_key(MAC, " ") is None


def test_millisecond_timestamps_are_read_as_seconds():
    history = read_week([down((NOW - HOUR) * 1000)])
    assert history.events[f"{MAC}|ge-0/0/1"] == [(NOW - HOUR, False)]


# ---------------------------------------------------------------------------------------------
# Flap counting
# ---------------------------------------------------------------------------------------------


def test_each_state_change_counts_once_in_either_direction():
    history = read_week([down(NOW - 3 * HOUR), up(NOW - 2 * HOUR), down(NOW - HOUR)])
    summary = history.summary(MAC, "ge-0/0/1", NOW)
    assert (summary["flaps_24h"], summary["flaps_7d"]) == (3, 3)


def test_a_repeated_event_of_the_same_state_is_not_a_change():
    history = read_week([down(NOW - 3 * HOUR), down(NOW - 2 * HOUR), up(NOW - HOUR), up(NOW - 60)])
    assert history.summary(MAC, "ge-0/0/1", NOW)["flaps_24h"] == 2


def test_24h_count_includes_a_change_just_inside_and_excludes_one_just_outside():
    outside, inside = NOW - DAY, NOW - DAY + 1
    history = read_week([down(outside - HOUR), up(outside), down(inside)])
    summary = history.summary(MAC, "ge-0/0/1", NOW)
    assert summary["flaps_24h"] == 1
    assert summary["flaps_7d"] == 3
    assert summary["first_change_24h"] == inside


def test_changes_in_the_future_of_now_are_not_counted():
    history = read_week([down(NOW - HOUR), up(NOW + HOUR)])
    assert history.summary(MAC, "ge-0/0/1", NOW)["flaps_24h"] == 1


def test_nothing_read_yet_means_unknown_not_zero():
    summary = PortHistory().summary(MAC, "ge-0/0/1", NOW, up=True, last_flapped=NOW - DAY)
    assert summary["flaps_24h"] is None and summary["flaps_7d"] is None
    assert summary["availability_7d"] is None
    assert summary["since"] == NOW - DAY


def test_a_quiet_week_is_zero_flaps_and_full_availability():
    summary = read_week([]).summary(MAC, "ge-0/0/1", NOW, up=True)
    assert (summary["flaps_24h"], summary["flaps_7d"], summary["availability_7d"]) == (0, 0, 100.0)
    assert summary["down_intervals"] == []


# ---------------------------------------------------------------------------------------------
# Availability, down intervals, since
# ---------------------------------------------------------------------------------------------


def test_availability_from_known_down_up_pairs():
    # down 1 h and 2 h within the week: up 1 - 3/168 of the time
    events = [
        down(NOW - 5 * DAY),
        up(NOW - 5 * DAY + HOUR),
        down(NOW - 2 * DAY),
        up(NOW - 2 * DAY + 2 * HOUR),
    ]
    summary = read_week(events).summary(MAC, "ge-0/0/1", NOW, up=True)
    assert summary["availability_7d"] == pytest.approx(100 * (1 - 3 / 168), abs=0.001)
    assert summary["down_intervals"] == [
        [NOW - 5 * DAY, NOW - 5 * DAY + HOUR],
        [NOW - 2 * DAY, NOW - 2 * DAY + 2 * HOUR],
    ]
    assert summary["since"] == NOW - 2 * DAY + 2 * HOUR and summary["up"] is True


def test_a_port_still_down_has_an_open_interval_counted_up_to_now():
    summary = read_week([down(NOW - 12 * HOUR)]).summary(MAC, "ge-0/0/1", NOW, up=False)
    assert summary["down_intervals"] == [[NOW - 12 * HOUR, None]]
    assert summary["availability_7d"] == pytest.approx(100 * (1 - 12 / 168), abs=0.001)
    assert summary["since"] == NOW - 12 * HOUR and summary["up"] is False


def test_a_first_up_event_means_the_port_was_down_from_the_start_of_the_window():
    summary = read_week([up(NOW - 6 * DAY)]).summary(MAC, "ge-0/0/1", NOW, up=True)
    assert summary["down_intervals"] == [[NOW - WEEK, NOW - 6 * DAY]]
    assert summary["availability_7d"] == pytest.approx(100 * 6 / 7, abs=0.001)


def test_figures_over_a_day_or_a_week_the_reads_do_not_cover_yet_are_unknown_not_zero():
    history = PortHistory()
    history.ingest([down(NOW - HOUR)], NOW - HOUR * 2, NOW)  # a first read cut short: 2 h
    summary = history.summary(MAC, "ge-0/0/1", NOW, up=False)
    assert (summary["flaps_24h"], summary["flaps_7d"], summary["availability_7d"]) == (None, None, None)
    assert summary["down_intervals"] == [[NOW - HOUR, None]] and summary["since"] == NOW - HOUR
    history.ingest([down(NOW - 2 * DAY), up(NOW - 2 * DAY + 60)], NOW - 2 * DAY, NOW - 2 * HOUR + 1)
    summary = history.summary(MAC, "ge-0/0/1", NOW, up=False)
    assert summary["flaps_24h"] == 1 and summary["first_change_24h"] == NOW - HOUR
    assert (summary["flaps_7d"], summary["availability_7d"]) == (None, None)
    history.ingest([], NOW - WEEK, NOW - 2 * DAY + 1)  # the backfill reaches a week back
    summary = history.summary(MAC, "ge-0/0/1", NOW, up=False)
    assert summary["flaps_7d"] == 3  # a bounce two days ago, then down an hour ago
    assert summary["availability_7d"] == pytest.approx(100 * (WEEK - 60 - HOUR) / WEEK, abs=0.001)
    assert history.for_rows([{"id": "gw", "mac": MAC, "ports": [{"name": "ge-0/0/1", "up": False}]}], NOW)[
        "gw|ge-0/0/1"
    ] == summary


def test_no_events_and_port_down_all_week_is_zero_availability():
    summary = read_week([]).summary(MAC, "ge-0/0/1", NOW, up=False, last_flapped=NOW - 30 * DAY)
    assert summary["availability_7d"] == 0.0
    assert summary["down_intervals"] == [[NOW - WEEK, None]]
    assert summary["since"] == NOW - 30 * DAY and summary["flaps_7d"] == 0


def test_nothing_known_gives_no_availability():
    summary = read_week([]).summary(MAC, "ge-0/0/1", NOW, up=None)
    assert summary["availability_7d"] is None and summary["since"] is None


def test_a_change_the_events_missed_is_taken_from_last_flapped():
    # events say up since 2 h ago; the port stats say down since 30 minutes ago
    history = read_week([down(NOW - 3 * HOUR), up(NOW - 2 * HOUR)])
    summary = history.summary(MAC, "ge-0/0/1", NOW, up=False, last_flapped=NOW - 1800)
    assert summary["up"] is False and summary["since"] == NOW - 1800
    assert summary["flaps_24h"] == 3
    assert summary["down_intervals"][-1] == [NOW - 1800, None]


def test_a_missed_change_without_a_usable_time_leaves_since_unknown():
    history = read_week([down(NOW - 3 * HOUR), up(NOW - 2 * HOUR)])
    summary = history.summary(MAC, "ge-0/0/1", NOW, up=False, last_flapped=NOW - 4 * HOUR)
    assert summary["up"] is False and summary["since"] is None
    assert summary["flaps_24h"] == 2


def test_sub_interface_rows_take_their_physical_ports_events():
    history = read_week([down(NOW - 2 * HOUR, port="ge-0/0/1"), up(NOW - HOUR, port="ge-0/0/1.100")])
    assert history.summary(MAC, "ge-0/0/1.100", NOW)["flaps_24h"] == 2
    # the physical row does not take its VLANs' events
    assert history.summary(MAC, "ge-0/0/1", NOW)["flaps_24h"] == 1


def test_for_rows_keys_by_gateway_id_and_port_name_and_uses_row_state():
    history = read_week([down(NOW - HOUR, mac="00:11:22:aa:bb:cc")])
    rows = [
        {
            "id": "gw-1",
            "mac": MAC,
            "ports": [
                {"name": "ge-0/0/1", "up": False, "last_flapped": NOW - HOUR},
                {"name": "ge-0/0/2", "up": True, "last_flapped": None},
            ],
        },
        {"id": None, "mac": "ffffffffffff", "ports": [{"name": "ge-0/0/1", "up": True}]},
    ]
    result = history.for_rows(rows, NOW)
    assert set(result) == {"gw-1|ge-0/0/1", "gw-1|ge-0/0/2"}
    assert result["gw-1|ge-0/0/1"]["flaps_24h"] == 1 and result["gw-1|ge-0/0/1"]["up"] is False
    assert result["gw-1|ge-0/0/2"]["availability_7d"] == 100.0


def test_port_summary_is_usable_without_a_history_object():
    summary = port_summary([(NOW - HOUR, False)], NOW, covered_since=NOW - WEEK, up=False)
    assert summary["flaps_7d"] == 1 and summary["down_intervals"] == [[NOW - HOUR, None]]


# ---------------------------------------------------------------------------------------------
# Bounds: prune and cap
# ---------------------------------------------------------------------------------------------


def test_prune_drops_events_older_than_a_week_but_keeps_the_state_at_the_window_start():
    events = [down(NOW - 9 * DAY), up(NOW - 8 * DAY), down(NOW - 2 * DAY)]
    history = read_week(events, now=NOW - 7 * DAY)  # read when all three were within reach
    start, end = history.next_window(NOW)
    history.ingest([], start, end)
    history.prune(NOW)
    assert history.events[f"{MAC}|ge-0/0/1"] == [(NOW - 8 * DAY, True), (NOW - 2 * DAY, False)]
    assert history.covered_since == NOW - WEEK
    summary = history.summary(MAC, "ge-0/0/1", NOW, up=False)
    assert summary["flaps_7d"] == 1
    assert summary["down_intervals"] == [[NOW - 2 * DAY, None]]


def test_prune_forgets_ports_with_nothing_but_an_old_up():
    history = read_week([up(NOW - 6 * DAY, port="ge-0/0/1"), down(NOW - 6 * DAY, port="ge-0/0/2")])
    history.prune(NOW + 2 * DAY)
    assert list(history.events) == [f"{MAC}|ge-0/0/2"]  # a port down that long still says since when
    history.prune(NOW + 40 * DAY)
    assert history.events == {}


def test_events_per_port_are_capped_keeping_the_newest():
    history = PortHistory(max_events_per_port=10)
    events = [(down if i % 2 else up)(NOW - 100 * 60 + i * 60) for i in range(50)]
    history.ingest(events, NOW - WEEK, NOW)
    kept = history.events[f"{MAC}|ge-0/0/1"]
    assert len(kept) == 10 and kept[-1] == (NOW - 100 * 60 + 49 * 60, False)


# ---------------------------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------------------------


def test_json_round_trip_keeps_everything_and_the_next_window():
    history = read_week([down(NOW - 2 * HOUR), up(NOW - HOUR), down(NOW - HOUR, port="ge-0/0/2")])
    text = history.to_json()
    restored = PortHistory.from_json(text)
    assert restored.to_dict() == history.to_dict()
    assert restored.next_window(NOW + 60) == history.next_window(NOW + 60)
    assert restored.summary(MAC, "ge-0/0/1", NOW, up=True) == history.summary(MAC, "ge-0/0/1", NOW, up=True)
    assert json.loads(text)["events"][f"{MAC}|ge-0/0/1"] == [[NOW - 2 * HOUR, 0], [NOW - HOUR, 1]]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"version": 99, "covered_since": NOW, "read_until": NOW, "events": {}}),
        json.dumps({"version": 1, "covered_since": NOW, "read_until": None, "events": {}}),
        json.dumps({"version": 1, "covered_since": NOW, "read_until": NOW, "events": []}),
    ],
)
def test_unusable_stored_history_is_refused_so_the_collector_starts_afresh(text):
    with pytest.raises(ValueError):
        PortHistory.from_json(text)


def test_malformed_stored_events_are_skipped_not_fatal():
    data = {
        "version": 1,
        "covered_since": NOW - WEEK,
        "read_until": NOW,
        "events": {f"{MAC}|ge-0/0/1": [[NOW - HOUR, 0], ["x", 1], [NOW, 7], "junk"], "bad": "x"},
    }
    restored = PortHistory.from_dict(data)
    assert restored.events == {f"{MAC}|ge-0/0/1": [(NOW - HOUR, False)]}


def test_a_read_stopped_part_way_is_resumed_from_its_newest_event():
    events = [down(NOW - 5 * DAY), up(NOW - 4 * DAY), down(NOW - 2 * DAY), up(NOW - DAY)]
    history = PortHistory(overlap=0)
    start, _end = history.next_window(NOW)
    got = events[:2]  # the budget ran out after the first page (oldest first)
    history.ingest(got, start, newest_event_time(got))
    assert history.next_window(NOW + 60) == (NOW - 4 * DAY, NOW + 60)
    start, end = history.next_window(NOW + 60)
    history.ingest(events[1:], start, end)  # the event on the boundary comes again: not doubled
    assert history.summary(MAC, "ge-0/0/1", NOW + 60)["flaps_7d"] == 4
    assert newest_event_time([event(NOW, "GW_VPN_PATH_DOWN"), "junk"]) is None


def test_a_port_down_now_without_events_is_down_since_last_flapped_within_the_week():
    summary = read_week([]).summary(MAC, "ge-0/0/1", NOW, up=False, last_flapped=NOW - DAY)
    assert summary["down_intervals"] == [[NOW - DAY, None]] and summary["flaps_24h"] == 0
    assert summary["flaps_7d"] == 1
    assert summary["availability_7d"] == pytest.approx(100 * 6 / 7, abs=0.001)


def test_a_port_up_now_without_events_is_not_assumed_down_before_its_last_flap():
    # e.g. the gateway rebooted two days ago: last_flapped is the boot, not the end of an outage
    summary = read_week([]).summary(MAC, "ge-0/0/1", NOW, up=True, last_flapped=NOW - 2 * DAY)
    assert summary["availability_7d"] == 100.0 and summary["down_intervals"] == []
    assert summary["since"] == NOW - 2 * DAY and summary["flaps_7d"] == 0
