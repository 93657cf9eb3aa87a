//! The model against the reference recordings of the fourteen experiments.
//!
//! Each file in `web/recordings/` is the event stream the relay would have sent
//! for one recording in `testdata/captures/` (written by `cargo xtask
//! recordings`; `recordings_fresh.rs` holds them to it).
//! The assertions are about what a learner would see: which arrows, which
//! colours in which recv() chunk, which close shape, which states.

mod common;

use common::event_log;
use sockscope_shared::{EventKind, Framing, Segment, TcpState, Transport};
use sockscope_web::model::Model;
use sockscope_web::model::describe::Numbers;
use sockscope_web::model::framing;
use sockscope_web::model::ladder::{self, RowKind};
use sockscope_web::model::phases::{self, CloseShape, Phase, PhaseNote};
use sockscope_web::model::sockets::Role;

fn load(name: &str) -> Model {
    Model::from_events(event_log(name))
}

/// The packet labels of the diagram, in order.
fn arrows(model: &Model) -> Vec<String> {
    ladder::layout(model)
        .rows
        .iter()
        .filter(|row| matches!(row.kind, RowKind::Packet { .. }))
        .map(|row| row.label(model, Numbers::Relative))
        .collect()
}

fn state_names(model: &Model, socket: u32) -> Vec<&'static str> {
    model.sockets.get(socket).map_or_else(Vec::new, |s| {
        s.states.iter().map(|change| change.state.name()).collect()
    })
}

#[test]
fn experiment_01_handshake_is_syn_synack_ack_between_two_lanes() {
    let model = load("01-handshake");
    let diagram = ladder::layout(&model);
    assert_eq!(diagram.lanes.len(), 2, "one lane per address:port");
    assert!(
        !diagram.lanes[0].server && diagram.lanes[1].server,
        "client left, server right"
    );
    assert_eq!(
        diagram.lanes[1].sockets,
        [(1, Role::Listener), (3, Role::Accepted)]
    );
    let labels = arrows(&model);
    assert_eq!(
        labels[..3],
        ["SYN seq=0", "SYN, ACK seq=0 ack=1", "ACK seq=1 ack=1"]
    );
    let band = &diagram.bands[0];
    assert_eq!(band.phase, Phase::Handshake);
    assert_eq!(band.note, PhaseNote::ThreeWayHandshake);
    assert_eq!(model.sockets.get(2).unwrap().role, Role::Client);
    assert_eq!(model.sockets.get(3).unwrap().role, Role::Accepted);
}

#[test]
fn experiment_02_half_close_lets_the_server_answer_after_the_clients_fin() {
    let model = load("02-close-half");
    let conv = &model.conversations.list[0];
    let analysed = phases::analyse(&phases::tcp_segments(conv, &model.events));
    assert_eq!(
        analysed.close.unwrap().1,
        CloseShape::HalfClose { bytes: 3 }
    );
    assert_eq!(
        analysed.first_fin_dir,
        Some(0),
        "the client shut down first"
    );
    // The client's words, read in one chunk, then end of stream.
    let up = &conv.streams[0];
    assert_eq!(up.recvs[0].data, b"last words");
    assert_eq!(up.end.map(|e| e.offset), Some(10));
    assert_eq!(conv.streams[1].recvs[0].data, b"bye");
    // The close's states, as the segments show them (the recording never
    // asked the kernel; relay/tests/states.rs holds the same inference to
    // the kernel's reports).
    assert_eq!(
        state_names(&model, 2),
        ["ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"]
    );
    assert_eq!(
        state_names(&model, 3),
        ["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"]
    );
}

#[test]
fn experiment_03_one_recv_holds_three_sends_that_crossed_as_three_segments() {
    let model = load("03-sticky-small-sends");
    let conv = &model.conversations.list[0];
    let up = &conv.streams[0];
    assert_eq!(up.sends.len(), 3);
    let segments: Vec<_> = up.wire.iter().map(|w| (w.offset, w.len)).collect();
    assert_eq!(
        segments,
        [(0, 5), (5, 5), (10, 6)],
        "each send left as its own segment"
    );
    assert_eq!(up.recvs.len(), 1);
    let chunk = &up.recvs[0];
    assert_eq!(chunk.data, b"helloworldsticky");
    assert_eq!(
        up.sends_in(chunk.offset, chunk.data.len() as u64),
        [0, 1, 2]
    );
    // Each segment carried exactly one send's bytes.
    for (i, wire) in up.wire.iter().enumerate() {
        assert_eq!(up.sends_in(wire.offset, u64::from(wire.len)), [i]);
    }
    let close = phases::analyse(&phases::tcp_segments(conv, &model.events))
        .close
        .unwrap();
    assert_eq!((close.0.segments, close.1), (3, CloseShape::ThreeSegments));
}

#[test]
fn experiment_04_a_small_buffer_splits_one_send_over_three_recvs() {
    let model = load("04-sticky-small-buffer");
    let up = &model.conversations.list[0].streams[0];
    let chunks: Vec<_> = up
        .recvs
        .iter()
        .map(|r| (r.bufsize, up.sends_in(r.offset, r.data.len() as u64)))
        .collect();
    assert_eq!(chunks, [(10, vec![0]), (10, vec![0]), (1024, vec![0, 1])]);
    assert_eq!(up.recvs[2].data, b"n the reader's buffernext");
}

#[test]
fn experiment_05_ascii_headers_decode_into_the_three_commands() {
    let model = load("05-zfill-header");
    let up = &model.conversations.list[0].streams[0];
    let steps = framing::decode(Framing::Ascii4, up.recvs.iter().map(|r| r.data.as_slice()));
    let bodies: Vec<String> = steps
        .iter()
        .flat_map(|s| s.messages.iter())
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(bodies, ["ls -l", "dir", "a longer command line"]);
    // The reader asked for the header first: after that chunk 4 bytes wait.
    assert_eq!(steps[0].pending, b"0005");
    assert!(steps.iter().all(|s| s.error.is_none()));
}

#[test]
fn experiment_06_struct_headers_are_little_endian() {
    let model = load("06-struct-header");
    let up = &model.conversations.list[0].streams[0];
    let chunks = || up.recvs.iter().map(|r| r.data.as_slice());
    let little = framing::decode(Framing::U32Le, chunks());
    let count: usize = little.iter().map(|s| s.messages.len()).sum();
    assert_eq!(count, 3);
    // Read as network order the same header is absurdly long.
    let big = framing::decode(Framing::U32Be, chunks());
    assert!(big.iter().any(|s| s.error.is_some()) || big.iter().all(|s| s.messages.is_empty()));
}

#[test]
fn experiment_07_two_clients_get_two_lanes_beside_one_server_lane() {
    let model = load("07-upper-echo-clients");
    let tcp: Vec<_> = model
        .conversations
        .list
        .iter()
        .filter(|c| c.transport == Transport::Tcp)
        .collect();
    assert_eq!(tcp.len(), 2);
    for conv in &tcp {
        let request = &conv.streams[0].recvs[0].data;
        let reply = &conv.streams[1].recvs[0].data;
        assert_eq!(request.to_ascii_uppercase(), *reply);
    }
    let diagram = ladder::layout(&model);
    assert_eq!(diagram.lanes.len(), 3);
    assert!(diagram.lanes[2].server);
}

#[test]
fn experiment_07_one_connection_at_a_time_fits_on_two_lanes() {
    let model = load("07-upper-echo-clients");
    let full = ladder::layout(&model);
    assert_eq!(
        model.conversations.list[0].label(),
        "TCP 1: 127.0.0.1:36222 #2 ⇄ 127.0.0.1:48257 #3"
    );
    let mut accepts = 0;
    for conv in &model.conversations.list {
        let one = ladder::focus(&full, &model, conv.id);
        assert_eq!(one.lanes.len(), 2, "{}: {:?}", conv.label(), one.lanes);
        assert!(!one.lanes[0].server && one.lanes[1].server);
        // Every packet of the connection, in order, and no other packet.
        let packets: Vec<usize> = one
            .rows
            .iter()
            .filter_map(|row| match row.kind {
                RowKind::Packet { conversation, .. } => {
                    assert_eq!(conversation.get(), Some(conv.id));
                    Some(row.at)
                }
                RowKind::Call { .. } | RowKind::Waiting { .. } => None,
            })
            .collect();
        assert_eq!(packets, conv.segments);
        let labels: Vec<String> = one
            .rows
            .iter()
            .filter(|row| matches!(row.kind, RowKind::Packet { .. }))
            .map(|row| row.label(&model, Numbers::Relative))
            .collect();
        assert_eq!(
            labels[..3],
            ["SYN seq=0", "SYN, ACK seq=0 ack=1", "ACK seq=1 ack=1"]
        );
        // Calls on its two sockets, and the accept() that made the server's.
        let sockets: Vec<u32> = conv.ends.iter().filter_map(|end| end.socket).collect();
        assert_eq!(sockets.len(), 2, "{}", conv.label());
        for row in &one.rows {
            // The detail pane offers this view for each of these rows.
            assert_eq!(model.conversation_at(row.at), Some(conv.id), "{row:?}");
            if let RowKind::Call { socket, lane, .. } = row.kind {
                assert!(lane.is_some_and(|lane| lane < 2), "{row:?}");
                if !sockets.contains(&socket) {
                    let label = row.label(&model, Numbers::Relative);
                    let accepted = format!("accept() → socket {} from ", sockets[1]);
                    assert!(label.starts_with(&accepted), "{label}");
                    accepts += 1;
                }
            }
            for mark in one.states_at(row.step) {
                assert!(sockets.contains(&mark.socket), "{mark:?}");
                assert!(mark.lane.is_some_and(|lane| lane < 2), "{mark:?}");
            }
        }
        assert!(!one.bands.is_empty());
        assert!(one.bands.iter().all(|band| band.conversation == conv.id));
        // Its rows keep their steps, so the player still finds them.
        assert!(one.rows.windows(2).all(|w| w[0].step < w[1].step));
        assert!(one.rows.iter().all(|row| {
            full.rows
                .iter()
                .any(|f| (f.step, f.at) == (row.step, row.at))
        }));
    }
    assert_eq!(accepts, 2, "one accept() row for each connection");
    assert_eq!(ladder::focus(&full, &model, 99), full);
}

#[test]
fn experiment_08_fin_gives_end_of_stream_and_rst_gives_reset() {
    let model = load("08-disconnect-fin-vs-rst");
    let shapes: Vec<_> = model
        .conversations
        .list
        .iter()
        .map(|c| {
            phases::analyse(&phases::tcp_segments(c, &model.events))
                .close
                .unwrap()
                .1
        })
        .collect();
    assert_eq!(shapes[0], CloseShape::FourSegments);
    assert_eq!(shapes[1], CloseShape::Reset);
    assert!(model.conversations.list[0].streams[0].end.is_some());
    assert_eq!(
        model
            .sockets
            .get(5)
            .unwrap()
            .last_error
            .as_ref()
            .unwrap()
            .errno,
        "ECONNRESET"
    );
    assert!(arrows(&model).iter().any(|a| a.starts_with("RST, ACK")));
}

#[test]
fn experiment_09_a_restart_without_reuseaddr_fails_on_the_time_wait_lane() {
    let model = load("09-addr-in-use");
    let old = &model.conversations.list[0];
    let analysed = phases::analyse(&phases::tcp_segments(old, &model.events));
    assert_eq!(analysed.first_fin_dir, Some(1), "the server closed first");
    assert_eq!(
        model.sockets.get(3).unwrap().state(),
        Some(TcpState::TimeWait),
        "the side that closed first waits"
    );
    let failed = model.sockets.get(4).unwrap();
    assert_eq!(failed.last_error.as_ref().unwrap().errno, "EADDRINUSE");
    let diagram = ladder::layout(&model);
    let row = diagram
        .rows
        .iter()
        .find(|r| {
            matches!(
                &r.kind,
                RowKind::Call {
                    socket: 4,
                    failed: true,
                    ..
                }
            )
        })
        .unwrap();
    let RowKind::Call { lane, .. } = &row.kind else {
        unreachable!()
    };
    assert_eq!(
        row.label(&model, Numbers::Relative),
        "bind(127.0.0.1:51007) → EADDRINUSE"
    );
    assert_eq!(diagram.lanes[lane.unwrap()].addr, "127.0.0.1:51007");
}

#[test]
fn experiment_10_refused_connect_is_syn_answered_by_rst() {
    let model = load("10-refused");
    assert_eq!(arrows(&model), ["SYN seq=0", "RST, ACK seq=1 ack=1"]);
    let analysed = phases::analyse(&phases::tcp_segments(
        &model.conversations.list[0],
        &model.events,
    ));
    assert!(analysed.refused);
    assert_eq!(
        model.sockets.get(1).unwrap().state(),
        Some(TcpState::Closed)
    );
}

#[test]
fn experiment_11_udp_echo_pairs_each_datagram_with_its_reply() {
    let model = load("11-udp-echo-and-time");
    assert_eq!(model.conversations.list.len(), 1);
    let conv = &model.conversations.list[0];
    let [out, back] = &conv.flows;
    assert_eq!(out.datagrams.len(), 2);
    assert_eq!(back.datagrams.len(), 2);
    for flow in [out, back] {
        for d in &flow.datagrams {
            assert!(d.sent.is_some() && d.wire.is_some() && d.received.is_some());
            assert_eq!(d.lost_bytes(), 0);
        }
    }
    assert_eq!(
        back.datagrams[0].received.as_ref().unwrap().data,
        b"HELLO UDP"
    );
}

#[test]
fn experiment_12_udp_keeps_boundaries() {
    let model = load("12-udp-boundaries");
    let flow = &model.conversations.list[0].flows[0];
    assert_eq!(flow.datagrams.len(), 3);
    for d in &flow.datagrams {
        assert_eq!(
            d.sent.as_ref().unwrap().data,
            d.received.as_ref().unwrap().data
        );
    }
}

#[test]
fn experiment_13_recvfrom_with_a_small_buffer_loses_the_rest() {
    let model = load("13-udp-truncation");
    let flow = &model.conversations.list[0].flows[0];
    let first = &flow.datagrams[0];
    assert_eq!(first.len(), 20);
    assert_eq!(first.received.as_ref().unwrap().data, b"twent");
    assert_eq!(first.lost_bytes(), 15);
    assert_eq!(flow.datagrams[1].lost_bytes(), 0);
}

#[test]
fn experiment_14_an_empty_sendto_is_still_a_datagram() {
    let model = load("14-udp-empty");
    let flow = &model.conversations.list[0].flows[0];
    assert_eq!(flow.datagrams.len(), 2);
    assert!(flow.datagrams[0].is_empty());
    assert!(flow.datagrams[0].wire.is_some() && flow.datagrams[0].received.is_some());
    assert_eq!(arrows(&model)[0], "UDP len=0");
}

#[test]
fn player_steps_walk_the_rows_and_states_follow_the_cursor() {
    let model = load("03-sticky-small-sends");
    let diagram = ladder::layout(&model);
    assert_eq!(diagram.rows.len(), model.steps.len());
    // Socket 2 was ESTABLISHED when it sent, TIME_WAIT at the end.
    let client = model.sockets.get(2).unwrap();
    let first_send = model.steps[diagram
        .rows
        .iter()
        .position(|r| model.events[r.at].index == 10)
        .unwrap()];
    assert_eq!(client.state_at(first_send), Some(TcpState::Established));
    assert_eq!(
        client.state_at(model.events.len() - 1),
        Some(TcpState::TimeWait)
    );
    // State changes show on the row of the FIN that caused them.
    let fin_row = diagram
        .rows
        .iter()
        .find(|r| {
            matches!(r.kind, RowKind::Packet { .. })
                && r.label(&model, Numbers::Relative).starts_with("FIN")
        })
        .unwrap();
    let marks: Vec<_> = diagram
        .states_at(fin_row.step)
        .iter()
        .map(|m| (m.socket, m.state.name()))
        .collect();
    assert_eq!(marks, [(2, "FIN_WAIT_1"), (3, "CLOSE_WAIT")]);
}

#[test]
fn without_capture_the_calls_alone_still_link_sends_to_recvs() {
    let calls_only = event_log("03-sticky-small-sends")
        .into_iter()
        .filter(|e| !matches!(e.kind, sockscope_shared::EventKind::Segment(_)));
    let model = Model::from_events(calls_only);
    assert_eq!(model.conversations.list.len(), 1);
    let conv = &model.conversations.list[0];
    assert_eq!(
        (conv.ends[0].socket, conv.ends[1].socket),
        (Some(2), Some(3))
    );
    let up = &conv.streams[0];
    assert!(up.wire.is_empty());
    assert_eq!(up.sends_in(0, 16), [0, 1, 2]);
    let diagram = ladder::layout(&model);
    assert_eq!(
        diagram.lanes.len(),
        2,
        "lanes come from the sockets' addresses"
    );
}

#[test]
fn a_syn_addressed_to_the_listener_still_links_the_accepted_socket() {
    // The relay names the listener as the SYN's receiver: it is, until
    // accept() hands the connection to a new socket.
    let events = event_log("03-sticky-small-sends").into_iter().map(|mut e| {
        if let sockscope_shared::EventKind::Segment(seg) = &mut e.kind
            && seg.receiver() == Some(3)
            && e.index == 3
        {
            seg.to_socket = sockscope_shared::NonZeroSocketId::new(1);
        }
        e
    });
    let model = Model::from_events(events);
    assert_eq!(model.conversations.list.len(), 1);
    let conv = &model.conversations.list[0];
    assert_eq!(
        (conv.ends[0].socket, conv.ends[1].socket),
        (Some(2), Some(3))
    );
}

/// What the player shows of each stream, counted the slow way: every
/// item of every list checked against the horizon.
fn counted(model: &Model, step: usize) -> Vec<(usize, usize, usize, bool)> {
    let horizon = model.horizon(step);
    let seen = |at: usize| model.shows(horizon, at);
    model
        .conversations
        .list
        .iter()
        .flat_map(|conv| conv.streams.iter())
        .map(|s| {
            (
                s.sends.iter().filter(|x| seen(x.at)).count(),
                s.wire.iter().filter(|x| seen(x.at)).count(),
                s.recvs.iter().filter(|x| seen(x.at)).count(),
                s.end.as_ref().is_some_and(|e| seen(e.at)),
            )
        })
        .collect()
}

fn shown(model: &Model, step: usize) -> Vec<(usize, usize, usize, bool)> {
    let horizon = model.horizon(step);
    (0..model.conversations.list.len())
        .flat_map(|c| (0..2).map(move |d| (c, d)))
        .map(|(c, d)| {
            let s = model.stream_shown(c, d, horizon);
            (s.sends, s.wire, s.recvs, s.end)
        })
        .collect()
}

#[test]
fn what_each_stream_shows_at_each_step_matches_a_plain_count() {
    for name in [
        "03-sticky-small-sends",
        "04-sticky-small-buffer",
        "06-struct-header",
        "07-upper-echo-clients",
    ] {
        let mut events = event_log(name);
        assert!(!events.is_empty(), "{name}");
        let model = Model::from_events(events.clone());
        for step in 0..model.steps.len() {
            assert_eq!(
                shown(&model, step),
                counted(&model, step),
                "{name} step {step}"
            );
        }
        // The last data segment stamped before everything else, as if it
        // reached the relay late: a stream's segments fall out of time
        // order, and what each stream shows must still be right.
        let data = events.iter().rposition(|e| {
            matches!(&e.kind, EventKind::Segment(s)
                if matches!(s.segment, Segment::Tcp { .. }) && s.segment.payload_len() > 0)
        });
        let Some(late) = data else {
            panic!("{name} has no data segment");
        };
        events[late].t_us = events[0].t_us;
        let model = Model::from_events(events);
        for step in 0..model.steps.len() {
            assert_eq!(
                shown(&model, step),
                counted(&model, step),
                "{name} late, step {step}"
            );
        }
    }
}

/// The notes of a recording's phase bands, with each band's conversation
/// and phase, in the diagram's order.
fn band_notes(name: &str) -> Vec<(usize, Phase, PhaseNote)> {
    let model = load(name);
    let notes: Vec<_> = ladder::layout(&model)
        .bands
        .iter()
        .map(|band| (band.conversation, band.phase, band.note))
        .collect();
    assert!(!notes.is_empty(), "{name}: no bands");
    notes
}

#[test]
fn every_tcp_experiment_gets_the_phase_notes_of_what_happened() {
    use PhaseNote::*;
    let handshake = (0, Phase::Handshake, ThreeWayHandshake);
    let rode = |conv| (conv, Phase::Close, AckRodeOnFin { segments: 3 });
    for (name, expected) in [
        ("01-handshake", vec![handshake, rode(0)]),
        (
            "02-close-half",
            vec![handshake, (0, Phase::Close, HalfClose { bytes: 3 })],
        ),
        ("03-sticky-small-sends", vec![handshake, rode(0)]),
        ("04-sticky-small-buffer", vec![handshake, rode(0)]),
        ("05-zfill-header", vec![handshake, rode(0)]),
        ("06-struct-header", vec![handshake, rode(0)]),
        (
            "07-upper-echo-clients",
            vec![
                handshake,
                rode(0),
                (1, Phase::Handshake, ThreeWayHandshake),
                rode(1),
            ],
        ),
        (
            "08-disconnect-fin-vs-rst",
            vec![
                handshake,
                (0, Phase::Close, FourSegmentClose { segments: 4 }),
                (1, Phase::Handshake, ThreeWayHandshake),
                (1, Phase::Close, Reset),
            ],
        ),
        (
            "09-addr-in-use",
            vec![
                handshake,
                (0, Phase::Close, FourSegmentClose { segments: 4 }),
            ],
        ),
        (
            "10-refused",
            vec![(0, Phase::Handshake, Refused), (0, Phase::Close, Reset)],
        ),
    ] {
        assert_eq!(band_notes(name), expected, "{name}");
    }
}
