//! Turning a lesson step into the command the relay gets: lesson socket
//! numbers become relay ids, a reply becomes a send() or sendto() of what
//! was received, a body read becomes a recv() of the announced length.

use std::net::SocketAddr;

use sockscope_shared::{Bytes, Command, Framing, Payload, SocketId, StepAction, Transform};

use super::results::{Slot, Tracker};
use super::runner::Halt;
use super::strftime::{Now, strftime};

/// The command for step `index`, with relay socket ids; `Ok(None)` while a
/// socket it names is still being created.
///
/// # Errors
/// A [`Halt`] when the step cannot run at all: its socket failed or was
/// never created, or the data it needs was not received.
pub fn build(
    tracker: &Tracker,
    index: usize,
    action: &StepAction,
    now: Now,
) -> Result<Option<Command>, Halt> {
    let relay_id = |socket: SocketId| match tracker.slot(socket) {
        None => Err(Halt::NoSuchSocket {
            step: index,
            socket,
        }),
        Some(Slot::Failed) => Err(Halt::SocketFailed {
            step: index,
            socket,
        }),
        Some(Slot::Pending) => Ok(None),
        Some(Slot::Open(id)) => Ok(Some(id)),
    };
    let received = |socket: SocketId| {
        tracker.received(socket).ok_or(Halt::NothingReceived {
            step: index,
            socket,
        })
    };
    match action {
        StepAction::Do(command) => {
            let mut command = command.clone();
            if let Some(field) = command.socket_mut() {
                let Some(id) = relay_id(*field)? else {
                    return Ok(None);
                };
                *field = id;
            }
            Ok(Some(command))
        }
        StepAction::Reply(reply) => {
            let Some(id) = relay_id(reply.socket)? else {
                return Ok(None);
            };
            let got = received(reply.socket)?;
            let data = match reply.transform {
                Transform::Same => got.data.clone(),
                Transform::Upper => got.data.to_ascii_uppercase(),
                Transform::Strftime => {
                    strftime(&String::from_utf8_lossy(&got.data), now).into_bytes()
                }
            };
            let payload = match String::from_utf8(data) {
                Ok(text) => Payload::Text(text),
                Err(raw) => Payload::Hex(Bytes::from(raw.into_bytes())),
            };
            // A datagram is answered where it came from, as sendto(data,
            // addr) does with the address recvfrom() returned.
            let to = got
                .from
                .as_deref()
                .and_then(|a| a.parse::<SocketAddr>().ok());
            Ok(Some(match to {
                Some(to) => Command::SendTo {
                    socket: id,
                    host: to.ip().to_string(),
                    port: to.port(),
                    payload,
                },
                None => Command::Send {
                    socket: id,
                    payload,
                    repeat: 1,
                    interval_ms: 0,
                    framing: Framing::None,
                },
            }))
        }
        StepAction::RecvBody(body) => {
            let Some(id) = relay_id(body.socket)? else {
                return Ok(None);
            };
            let got = received(body.socket)?;
            let len = body
                .framing
                .parse_header(&got.data)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|&n| n > 0);
            let Some(bufsize) = len else {
                return Err(Halt::NotAHeader {
                    step: index,
                    socket: body.socket,
                    data: got.data.clone(),
                    framing: body.framing,
                });
            };
            Ok(Some(Command::Recv {
                socket: id,
                bufsize,
            }))
        }
    }
}
