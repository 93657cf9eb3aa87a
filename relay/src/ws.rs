//! The WebSocket edge of a session, and the only place that knows JSON.
//!
//! Three tasks per page: the reader decodes each text frame into a
//! [`Request`] (or an error event naming what was wrong) and hands it to the
//! session; the session runs sockets and emits events into a bounded queue;
//! the writer drains that queue into frames. Each frame the relay sends is a
//! JSON array of one or more events: under load many events share a frame,
//! at rest each goes out alone and at once. A client that offered the
//! subprotocol [`BINARY_SUBPROTOCOL`] gets version 2's binary frames (the
//! same JSON, its payloads as raw bytes beside it; [`sockscope_shared::frame`]),
//! any other client version 1's text frames. When any of the three ends
//! (the page closed, the relay is stopping), the others are stopped and the
//! session's sockets are closed by drop.

use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use futures_util::{Sink, SinkExt, StreamExt};
use sockscope_shared::frame::{self, BINARY_SUBPROTOCOL};
use sockscope_shared::{
    Capabilities, CommandError, ErrorCode, Event, EventKind, Hello, Limits, PROTOCOL_VERSION,
    PROTOCOL_VERSION_TEXT, Request,
};
use tokio::sync::mpsc;

use crate::{
    events::{self, EventRx, EventTx},
    fine_timer,
    server::AppState,
    session::Session,
};

/// Events packed into one frame at most, so one frame stays small enough
/// for the page to parse without a visible pause.
const MAX_BATCH: usize = 512;

/// Bytes (JSON and payloads) after which a frame takes no more events. Small events fill a
/// frame up to [`MAX_BATCH`]; events that carry big payloads (a 1 MiB send
/// is 2 MiB of hex) go out one or a few at a time, rather than piling up
/// into frames of tens of megabytes that the writer copies as they grow and
/// the page must parse in one go.
const MAX_FRAME_BYTES: usize = 256 * 1024;
/// How long after a frame's first event happened the writer waits for the
/// events that usually follow it. One send() makes four or five events
/// within a fraction of a millisecond (the call, the data segment, its ACK,
/// the recv() that read it): sent one frame each, the page would render
/// four or five times and every event after the first would wait for the
/// renders before it. Gathered, they arrive and render once.
///
/// Measured on loopback, the last of them reaches the queue 100–300 µs
/// after the first. The wait is timed by [`fine_timer`]: tokio's own timer
/// would round it up to its next millisecond tick, which made this wait
/// (then 1 ms) cost 1–2 ms of every event's latency.
const GATHER: Duration = Duration::from_micros(300);

/// The largest request frame: a maximal hex payload plus room for the JSON
/// around it.
pub fn max_request_bytes(limits: &Limits) -> usize {
    (limits.max_payload as usize) * 2 + 64 * 1024
}

/// How a session's events are framed: the version its client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Version 1: text frames, payloads as hex.
    Text,
    /// Version 2: binary frames, payloads as raw bytes beside the JSON.
    Binary,
}

impl Encoding {
    /// The encoding for a client that offered `subprotocol` (the one the
    /// upgrade chose), or none.
    pub fn chosen(subprotocol: Option<&str>) -> Encoding {
        match subprotocol {
            Some(BINARY_SUBPROTOCOL) => Encoding::Binary,
            _ => Encoding::Text,
        }
    }

    /// The protocol version the `hello` announces.
    pub fn version(self) -> u32 {
        match self {
            Encoding::Text => PROTOCOL_VERSION_TEXT,
            Encoding::Binary => PROTOCOL_VERSION,
        }
    }
}

/// Runs one page's session until the page goes away or the relay stops.
pub async fn serve(socket: WebSocket, state: AppState, encoding: Encoding) {
    let (sink, stream) = socket.split();
    let (events, event_rx) =
        events::queue(state.config.event_queue, state.config.event_queue_bytes);
    let (requests_tx, requests_rx) = mpsc::channel(256);

    events.emit(EventKind::Hello(Hello {
        protocol_version: encoding.version(),
        relay_version: env!("CARGO_PKG_VERSION").into(),
        capabilities: Capabilities {
            capture: state.capture.clone(),
            allow_remote: !state.config.allow_remote.is_empty(),
            lab: Some(state.lab.clone()),
        },
        limits: state.config.limits,
    }));

    let session = Session::new(
        state.config.clone(),
        state.capture.clone(),
        state.lab.clone(),
        events.clone(),
    );
    let mut stopping = state.stopping.subscribe();
    let mut reader = tokio::spawn(read_requests(
        stream,
        requests_tx,
        events.clone(),
        state.config.commands_per_second,
    ));
    let mut writer = tokio::spawn(write_events(
        sink,
        event_rx,
        state.config.events_per_second,
        encoding,
    ));
    let mut session = tokio::spawn(session.run(requests_rx));
    drop(events);

    // The session ends by itself once the reader is gone (its request
    // channel closes), so it may be the branch that finishes; a finished
    // task's handle must not be awaited again.
    let session_ended = tokio::select! {
        _ = &mut reader => false,
        _ = &mut writer => false,
        _ = &mut session => true,
        _ = stopping.wait_for(|stop| *stop) => false,
    };
    reader.abort();
    writer.abort();
    if !session_ended {
        session.abort();
        // Wait for the session task to be dropped so that its sockets are
        // closed before this page's permit is given back.
        let _ = session.await;
    }
    tracing::debug!("session ended; its sockets are closed");
}

async fn read_requests(
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    requests: mpsc::Sender<Request>,
    events: EventTx,
    per_second: u32,
) {
    let mut throttle = Throttle::new(per_second);
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                events.emit(refusal(
                    ErrorCode::MalformedJson,
                    "binary frames are not understood: send each command as a JSON text frame",
                ));
                continue;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if !throttle.allow() {
            events.emit(refusal(
                ErrorCode::LimitReached,
                &format!("too many commands: at most {per_second} a second; this one was dropped"),
            ));
            continue;
        }
        match decode_request(text.as_str()) {
            Ok(request) => {
                if requests.send(request).await.is_err() {
                    break;
                }
            }
            Err(error) => events.emit(EventKind::CommandError(*error)),
        }
    }
}

fn refusal(code: ErrorCode, message: &str) -> EventKind {
    EventKind::CommandError(CommandError {
        request: None,
        command: None,
        code,
        message: message.into(),
        field: None,
        limit: None,
    })
}

/// Decodes one frame, or says exactly what is wrong with it: not JSON, not
/// an object, no `cmd`, an unknown command, or a field missing or of the
/// wrong type.
///
/// The frame is read once, straight into a [`Request`]; what was wrong
/// comes back typed from the protocol crate ([`Request::read`]), which
/// also gives the refusal its code and its field. Which of several
/// problems is reported is the protocol crate's order: `cmd`, then the
/// `id`, then the command's name, then its fields in their order.
///
/// # Errors
/// A [`CommandError`] carrying whatever `id` and `cmd` could be read,
/// boxed: a refusal is rare, and much larger than a request.
pub fn decode_request(text: &str) -> Result<Request, Box<CommandError>> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let read = Request::read(&mut reader).and_then(|read| reader.end().map(|()| read));
    match read {
        Ok(Ok(request)) => Ok(request),
        Ok(Err(error)) => Err(Box::new(error.refusal())),
        Err(err) => Err(Box::new(CommandError {
            request: None,
            command: None,
            code: ErrorCode::MalformedJson,
            message: format!("not valid JSON ({err}): send one JSON object per frame"),
            field: None,
            limit: None,
        })),
    }
}

/// Drains a session's event queue into `sink`, one JSON array per frame
/// (in a binary frame with its payloads for [`Encoding::Binary`]), until
/// every sender is gone or the sink fails; then closes the sink.
///
/// Batching: the first waiting event starts a frame, and whatever else is
/// already queued, or arrives until [`GATHER`] after that event happened,
/// joins it (up to 512 events or 256 KiB): at rest the events of one socket
/// call go out together within about half a millisecond, and under load frames
/// grow instead of falling behind.
/// Events the queue had to drop are announced by a `lagged` event at the
/// head of the next frame. At most `per_second` events are sent a second.
///
/// The sink is generic so that the same writer serves axum's WebSocket in
/// the relay and a channel or a plain socket in benchmarks and tests.
pub async fn write_events<S>(mut sink: S, mut rx: EventRx, per_second: u32, encoding: Encoding)
where
    S: Sink<Message> + Unpin,
{
    let mut pace = Throttle::new(per_second);
    let mut index = 0u64;
    while let Some(first) = rx.recv().await {
        let mut frame = Frame::new(encoding);
        let dropped = rx.take_dropped();
        if dropped > 0 {
            frame.push(&mut index, first.t_us, EventKind::Lagged { dropped });
        }
        let deadline = gather_deadline(first.t_us);
        let mut next = Some(first);
        loop {
            while let Some(stamped) = next {
                frame.push(&mut index, stamped.t_us, stamped.kind);
                next = if frame.is_full() { None } else { rx.try_recv() };
            }
            if frame.is_full() {
                break;
            }
            // The queue ran dry: the rest of this moment's events may be a
            // few hundred microseconds behind (capture hands packets over
            // from its own thread).
            tokio::select! {
                biased;
                stamped = rx.recv() => match stamped {
                    Some(stamped) => next = Some(stamped),
                    None => break,
                },
                () = fine_timer::sleep_until(deadline) => break,
            }
        }
        let events = frame.events;
        let Some(frame) = frame.finish() else {
            continue;
        };
        // Over the rate, the writer waits; meanwhile the queue fills and,
        // once full, drops and counts.
        let wait = pace.delay_for(events);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if sink.send(frame).await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// When to stop gathering a frame whose first event happened at `t_us`:
/// [`GATHER`] after it, or now if that has passed.
fn gather_deadline(t_us: u64) -> tokio::time::Instant {
    let age = Duration::from_micros(crate::clock::now_us().saturating_sub(t_us));
    tokio::time::Instant::now() + GATHER.saturating_sub(age)
}

/// One frame being built: a JSON array, written one event at a time so
/// that its size is known as it grows, and for version 2 the payload
/// section beside it.
struct Frame {
    encoding: Encoding,
    json: Vec<u8>,
    payloads: Vec<u8>,
    events: usize,
}

impl Frame {
    fn new(encoding: Encoding) -> Frame {
        Frame {
            encoding,
            json: Vec::new(),
            payloads: Vec::new(),
            events: 0,
        }
    }

    /// Appends an event as number `index`, and counts it. An event that
    /// cannot be encoded is logged and left out without using up a number,
    /// so the page still sees indices without gaps.
    fn push(&mut self, index: &mut u64, t_us: u64, kind: EventKind) {
        let (mark, payloads_mark) = (self.json.len(), self.payloads.len());
        self.json.push(if self.events == 0 { b'[' } else { b',' });
        let event = Event {
            index: *index,
            t_us,
            kind,
        };
        let written = match self.encoding {
            Encoding::Text => serde_json::to_writer(&mut self.json, &event),
            Encoding::Binary => frame::payloads_apart(&mut self.payloads, || {
                serde_json::to_writer(&mut self.json, &event)
            }),
        };
        match written {
            Ok(()) => {
                self.events += 1;
                *index += 1;
            }
            Err(err) => {
                self.json.truncate(mark);
                self.payloads.truncate(payloads_mark);
                tracing::error!(%err, "an event could not be encoded");
            }
        }
    }

    fn is_full(&self) -> bool {
        self.events >= MAX_BATCH || self.json.len() + self.payloads.len() >= MAX_FRAME_BYTES
    }

    /// The frame's message, or `None` when no event made it in.
    fn finish(mut self) -> Option<Message> {
        if self.events == 0 {
            return None;
        }
        self.json.push(b']');
        match self.encoding {
            // serde_json writes UTF-8 only; the check costs a fast scan.
            Encoding::Text => String::from_utf8(self.json)
                .ok()
                .map(|text| Message::Text(text.into())),
            Encoding::Binary => Some(Message::Binary(
                frame::binary_frame(&self.json, &self.payloads).into(),
            )),
        }
    }
}

/// A token bucket: `per_second` commands a second, with bursts of as many.
struct Throttle {
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl Throttle {
    fn new(per_second: u32) -> Throttle {
        Throttle {
            per_second: f64::from(per_second.max(1)),
            tokens: f64::from(per_second.max(1)),
            last: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.per_second);
        self.last = now;
    }

    /// Takes one token if there is one.
    fn allow(&mut self) -> bool {
        self.refill();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes `n` tokens, going into debt if need be, and says how long to
    /// wait until the debt is paid.
    fn delay_for(&mut self, n: usize) -> Duration {
        self.refill();
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> CommandError {
        *decode_request(text).unwrap_err()
    }

    #[test]
    fn malformed_frames_say_what_is_wrong() {
        assert_eq!(error_of("{nope").code, ErrorCode::MalformedJson);
        assert_eq!(error_of("[1,2]").code, ErrorCode::MalformedJson);
        let missing = error_of(r#"{"id": 3}"#);
        assert_eq!(
            (missing.code, missing.request),
            (ErrorCode::UnknownCommand, Some(3))
        );
        let unknown = error_of(r#"{"id": 4, "cmd": "fly"}"#);
        assert_eq!(unknown.code, ErrorCode::UnknownCommand);
        assert!(unknown.message.contains("\"fly\""), "{}", unknown.message);
    }

    #[test]
    fn wrong_field_types_name_the_command() {
        let err = error_of(r#"{"id": 5, "cmd": "recv", "socket": "two", "bufsize": 10}"#);
        assert_eq!(err.code, ErrorCode::InvalidField);
        assert_eq!(err.command.as_deref(), Some("recv"));
        assert_eq!(err.request, Some(5));
    }

    #[test]
    fn ports_out_of_range_are_bad_ports() {
        let err = error_of(r#"{"cmd": "tcp_connect", "host": "127.0.0.1", "port": 70000}"#);
        assert_eq!(err.code, ErrorCode::BadPort, "{}", err.message);
        let err = error_of(r#"{"cmd": "tcp_connect", "host": "127.0.0.1", "port": -1}"#);
        assert_eq!(err.code, ErrorCode::BadPort, "{}", err.message);
    }

    #[test]
    fn bad_hex_is_invalid_hex() {
        let err = error_of(r#"{"cmd": "send", "socket": 1, "payload": {"hex": "zz"}}"#);
        assert_eq!(err.code, ErrorCode::InvalidHex, "{}", err.message);
    }

    #[test]
    fn errors_name_the_command_and_the_field() {
        let err = error_of(r#"{"id": 6, "cmd": "recv", "socket": 2}"#);
        assert_eq!(
            (
                err.code,
                err.request,
                err.field.as_deref(),
                err.message.as_str()
            ),
            (
                ErrorCode::InvalidField,
                Some(6),
                Some("bufsize"),
                "recv: missing field `bufsize`: this command needs it"
            )
        );
        let err = error_of(r#"{"cmd": "recv", "socket": "two", "bufsize": 10}"#);
        assert_eq!(
            err.message,
            "recv: `socket` must be a whole number from 0 to 4294967295, not string \"two\""
        );
        let err = error_of(r#"{"cmd": "send", "socket": 1, "payload": {"hex": "0g"}}"#);
        assert_eq!(
            err.message,
            "send: invalid hex payload: 'g' at position 1 is not a hex digit"
        );
        let err = error_of(r#"{"cmd": "udp_bind", "host": "h", "port": 70000}"#);
        assert_eq!(
            (
                err.field.as_deref(),
                err.limit.map(|limit| (limit.found, limit.max))
            ),
            (Some("port"), Some((70000, 65535)))
        );
    }

    /// A frame with several problems is refused for the one checked first:
    /// the id, then the command's name, then its fields in their order.
    #[test]
    fn the_id_then_the_name_then_the_fields() {
        let err = error_of(r#"{"cmd": "fly", "socket": "two", "payload": {"hex": "zz"}}"#);
        assert_eq!(err.code, ErrorCode::UnknownCommand, "{}", err.message);
        assert!(err.message.contains("\"fly\""), "{}", err.message);
        let err = error_of(r#"{"cmd": "send", "payload": {"hex": "zz"}, "id": "seven"}"#);
        assert_eq!(err.code, ErrorCode::InvalidField, "{}", err.message);
        assert_eq!(
            err.message,
            "send: `id` must be a request id (a whole number), not string \"seven\""
        );
        let err = error_of(r#"{"cmd": "send", "payload": {"hex": "zz"}, "socket": 1}"#);
        assert_eq!(err.code, ErrorCode::InvalidHex, "{}", err.message);
        // The word "hex" in a wrong value is not bad hex.
        let err = error_of(r#"{"cmd": "recv", "socket": "hex", "bufsize": 8}"#);
        assert_eq!(err.code, ErrorCode::InvalidField, "{}", err.message);
        // Trailing text after the object is not JSON.
        let err = error_of(r#"{"cmd": "close", "socket": 1} x"#);
        assert_eq!(err.code, ErrorCode::MalformedJson, "{}", err.message);
    }

    /// A name a field does not know is a field with a wrong value, reported
    /// with the command and the names it may be.
    #[test]
    fn an_unknown_framing_names_the_command_and_the_choices() {
        let err =
            error_of(r#"{"cmd": "send", "socket": 1, "payload": {"text": "x"}, "framing": "u16"}"#);
        assert_eq!(err.code, ErrorCode::InvalidField);
        assert_eq!(
            err.message,
            "send: `framing` cannot be \"u16\": use one of `none`, `ascii4`, `u32_le`, `u32_be`"
        );
    }

    #[tokio::test]
    async fn queued_events_share_a_frame_after_the_count_of_dropped_ones() {
        let (tx, rx) = events::queue(2, events::ROOM_BYTES);
        for dropped in 0..5 {
            tx.emit(EventKind::Lagged { dropped });
        }
        drop(tx);
        let mut frames: Vec<Message> = Vec::new();
        write_events(&mut frames, rx, 1_000_000, Encoding::Text).await;
        let [Message::Text(frame)] = frames.as_slice() else {
            panic!("one text frame expected, got {frames:?}");
        };
        let events: Vec<Event> = serde_json::from_str(frame.as_str()).unwrap();
        let kinds: Vec<_> = events.iter().map(|e| (e.index, e.kind.clone())).collect();
        assert_eq!(
            kinds,
            [
                (0, EventKind::Lagged { dropped: 3 }),
                (1, EventKind::Lagged { dropped: 0 }),
                (2, EventKind::Lagged { dropped: 1 }),
            ]
        );
    }

    #[tokio::test]
    async fn big_events_do_not_pile_up_into_one_frame() {
        use sockscope_shared::{Bytes, Call, CallEvent, CallResult, Framing, Transport};
        let (tx, rx) = events::queue(16, events::ROOM_BYTES);
        tx.emit(EventKind::Lagged { dropped: 0 });
        for message in 0..3 {
            tx.emit(EventKind::Call(CallEvent {
                socket: 1,
                request: None,
                transport: Transport::Tcp,
                call: Call::Send {
                    data: Bytes::from(vec![0xab; 200_000]),
                    offset: 0,
                    message,
                    framing: Framing::None,
                },
                result: CallResult::Sent { bytes: 200_000 },
                local: None,
                peer: None,
                state: None,
            }));
        }
        drop(tx);
        let mut frames: Vec<Message> = Vec::new();
        write_events(&mut frames, rx, 1_000_000, Encoding::Text).await;
        let sizes: Vec<usize> = frames
            .iter()
            .map(|frame| match frame {
                Message::Text(text) => serde_json::from_str::<Vec<Event>>(text.as_str())
                    .unwrap()
                    .len(),
                other => panic!("{other:?}"),
            })
            .collect();
        // A small event shares its frame; 400 KB of hex fills one.
        assert_eq!(sizes, [2, 1, 1]);
    }

    #[test]
    fn throttle_allows_a_burst_then_refuses() {
        let mut throttle = Throttle::new(3);
        assert!(throttle.allow() && throttle.allow() && throttle.allow());
        assert!(!throttle.allow());
    }

    #[test]
    fn pacing_waits_in_proportion_to_the_excess() {
        let mut pace = Throttle::new(1000);
        assert_eq!(pace.delay_for(1000), Duration::ZERO);
        let wait = pace.delay_for(500);
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
    }
}
