//! A real relay on a free loopback port and a WebSocket client for it, as
//! the page (or a script) would use them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sockscope::Config;
use sockscope_shared::{CallResult, Event, EventKind};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// How long any expected event may take before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// A relay running in this process.
pub struct Relay {
    pub addr: std::net::SocketAddr,
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Relay {
    pub async fn start() -> Relay {
        Relay::start_with(Config::for_tests()).await
    }

    pub async fn start_with(config: Config) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let token = config.token.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(sockscope::run(listener, config, async move {
            let _ = stopped.await;
        }));
        Relay {
            addr,
            token,
            stop: Some(stop),
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws?token={}", self.addr, self.token)
    }

    /// Opens a session and reads its hello.
    pub async fn client(&self) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(self.ws_url())
            .await
            .unwrap();
        let mut client = Client {
            ws,
            seen: Vec::new(),
            next_id: 1,
        };
        let hello = client
            .wait_for(|e| matches!(e.kind, EventKind::Hello(_)))
            .await;
        assert_eq!(hello.index, 0, "hello must be the first event");
        client
    }

    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One session, as a page would hold it.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every event received so far, in order.
    pub seen: Vec<Event>,
    next_id: u64,
}

impl Client {
    /// Opens a session on a relay at `addr` and reads its hello.
    pub async fn open(addr: std::net::SocketAddr, token: &str) -> Client {
        let url = format!("ws://{addr}/ws?token={token}");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut client = Client::from_ws(ws);
        client
            .wait_for(|e| matches!(e.kind, EventKind::Hello(_)))
            .await;
        client
    }

    /// Wraps a WebSocket opened by hand (to a relay in another process).
    pub fn from_ws(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            seen: Vec::new(),
            next_id: 1,
        }
    }

    /// Sends a command (a JSON object without `id`); returns the id given.
    pub async fn send(&mut self, mut command: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        command["id"] = json!(id);
        self.ws
            .send(Message::Text(command.to_string().into()))
            .await
            .unwrap();
        id
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// Waits for the first event, not yet looked at, that matches.
    pub async fn wait_for(&mut self, matches: impl Fn(&Event) -> bool) -> Event {
        self.try_wait_for(&matches, PATIENCE)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no matching event within {PATIENCE:?}; saw:\n{}",
                    self.seen
                        .iter()
                        .map(|e| serde_json::to_string(e).unwrap())
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
    }

    pub async fn try_wait_for(
        &mut self,
        matches: &impl Fn(&Event) -> bool,
        patience: Duration,
    ) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut looked = 0;
        loop {
            if let Some(event) = self.seen[looked..].iter().find(|e| matches(e)) {
                let found = event.clone();
                let at = self.seen.iter().position(|e| *e == found).unwrap();
                self.seen.remove(at);
                return Some(found);
            }
            looked = self.seen.len();
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            if let Ok(Message::Text(text)) = frame {
                let batch: Vec<Event> = serde_json::from_str(&text)
                    .unwrap_or_else(|err| panic!("relay sent bad JSON ({err}): {text}"));
                self.seen.extend(batch);
            }
        }
    }

    /// Waits for the result of a call made for request `id`.
    pub async fn call_result(&mut self, id: u64) -> sockscope_shared::CallEvent {
        let event = self
            .wait_for(|e| matches!(&e.kind, EventKind::Call(c) if c.request == Some(id)))
            .await;
        match event.kind {
            EventKind::Call(call) => call,
            _ => unreachable!(),
        }
    }

    /// Waits for the call event of `call` name on `socket`.
    pub async fn call_on(&mut self, socket: u32, call: &str) -> sockscope_shared::CallEvent {
        let event = self
            .wait_for(|e| match &e.kind {
                EventKind::Call(c) => c.socket == socket && call_name(&c.call) == call,
                _ => false,
            })
            .await;
        match event.kind {
            EventKind::Call(call) => call,
            _ => unreachable!(),
        }
    }

    /// Waits for the command error for request `id`.
    pub async fn refusal(&mut self, id: u64) -> sockscope_shared::CommandError {
        let event = self
            .wait_for(|e| matches!(&e.kind, EventKind::CommandError(c) if c.request == Some(id)))
            .await;
        match event.kind {
            EventKind::CommandError(err) => err,
            _ => unreachable!(),
        }
    }

    /// Opens a listener with auto-accept, returns (socket id, port).
    pub async fn listen(&mut self, auto_accept: bool) -> (u32, u16) {
        let id = self
            .send(json!({"cmd": "tcp_listen", "host": "127.0.0.1", "port": 0, "auto_accept": auto_accept}))
            .await;
        let bind = self.call_result(id).await;
        assert!(matches!(bind.result, CallResult::Ok), "{bind:?}");
        let listen = self.call_result(id).await;
        assert!(matches!(listen.result, CallResult::Ok), "{listen:?}");
        let port: std::net::SocketAddr = listen.local.unwrap().parse().unwrap();
        (listen.socket, port.port())
    }

    /// Connects to a port on loopback, returns the client socket id.
    pub async fn connect(&mut self, port: u16) -> u32 {
        self.connect_to("127.0.0.1", port).await
    }

    /// Connects to `host:port`, returns the client socket id.
    pub async fn connect_to(&mut self, host: &str, port: u16) -> u32 {
        let id = self
            .send(json!({"cmd": "tcp_connect", "host": host, "port": port}))
            .await;
        let connect = self.call_result(id).await;
        assert!(matches!(connect.result, CallResult::Ok), "{connect:?}");
        connect.socket
    }

    /// Waits for an accept on `listener` and returns the new socket id.
    pub async fn accepted(&mut self, listener: u32) -> u32 {
        let accept = self.call_on(listener, "accept").await;
        match accept.result {
            CallResult::Accepted { new_socket, .. } => new_socket,
            other => panic!("accept failed: {other:?}"),
        }
    }

    /// A connected pair inside the relay: (listener, client, server side).
    pub async fn pair(&mut self) -> (u32, u32, u32) {
        let (listener, port) = self.listen(true).await;
        let client = self.connect(port).await;
        let server = self.accepted(listener).await;
        (listener, client, server)
    }

    /// Calls recv(`bufsize`) on `socket` and waits for what it returned.
    pub async fn recv(&mut self, socket: u32, bufsize: u32) -> sockscope_shared::CallEvent {
        let id = self
            .send(json!({"cmd": "recv", "socket": socket, "bufsize": bufsize}))
            .await;
        self.call_result(id).await
    }

    /// The half-close: `client` shuts down its sending side, `server`
    /// reads the end of the stream and still answers "bye" on its own half.
    pub async fn half_close(&mut self, client: u32, server: u32) {
        let id = self
            .send(json!({"cmd": "shutdown", "socket": client, "how": "write"}))
            .await;
        let shutdown = self.call_result(id).await;
        assert!(matches!(shutdown.result, CallResult::Ok), "{shutdown:?}");
        let end = self.recv(server, 1024).await;
        assert!(
            matches!(end.result, CallResult::EndOfStream { .. }),
            "{end:?}"
        );
        self.send(json!({"cmd": "send", "socket": server, "payload": {"text": "bye"}}))
            .await;
    }

    /// Waits until `bytes` are queued in `socket`'s receive buffer.
    pub async fn queued(&mut self, socket: u32, bytes: u32) {
        self.wait_for(|e| {
            matches!(e.kind, EventKind::RecvQueue { socket: s, bytes: b } if s == socket && b == bytes)
        })
        .await;
    }
}

pub fn call_name(call: &sockscope_shared::Call) -> String {
    let json = serde_json::to_value(call).unwrap();
    json["call"].as_str().unwrap().to_owned()
}

/// The bytes of a recv/recvfrom result.
pub fn data_of(result: &CallResult) -> Vec<u8> {
    match result {
        CallResult::Data { data, .. } | CallResult::Datagram { data, .. } => data.to_vec(),
        other => panic!("expected data, got {other:?}"),
    }
}

pub fn errno_of(result: &CallResult) -> String {
    match result {
        CallResult::Error(err) => err.errno.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}
