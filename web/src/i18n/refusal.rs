//! What the relay refused and what the kernel answered, in the page's
//! languages.
//!
//! A refused command reaches the page as typed data: an error code, the
//! command, the field at fault and, when a limit refused it, the limit
//! (`CommandError`). The relay's own sentence is English and written for
//! scripts; the page words each refusal itself, from that data, in one
//! exhaustive `match` over the codes per language, so a new code that is
//! not worded in both languages does not compile.
//!
//! A failed socket call carries its errno name (`ECONNREFUSED`) and the
//! relay's English explanation, which knows the address and the call. In
//! English the page shows that explanation; in Chinese it words the errno
//! from its name, and falls back to the English for a rare errno it has no
//! words for.

use sockscope_shared::{CommandError, ErrorCode, Limit, OsError};

use super::Lang;
use crate::state::FormNote;

/// A refused command, in `lang`.
pub fn refusal(lang: Lang, error: &CommandError) -> String {
    match lang {
        Lang::En => english(error),
        Lang::Zh => chinese(error),
    }
}

/// What a failed call's errno means, in `lang` (without the errno name).
pub fn os_error(lang: Lang, error: &OsError) -> String {
    match lang {
        Lang::En => error.message.clone(),
        Lang::Zh => {
            errno_in_chinese(&error.errno).map_or_else(|| error.message.clone(), str::to_owned)
        }
    }
}

/// What a form shows under it, in `lang`.
pub fn form_note(lang: Lang, note: &FormNote) -> String {
    match note {
        FormNote::Local(message) => message.clone(),
        FormNote::Refused(error) => refusal(lang, error),
        FormNote::Failed(error) => format!("{}: {}", error.errno, os_error(lang, error)),
    }
}

/// The parts of a refusal every wording uses: the command as a prefix
/// (`recv: `), the field, the limit.
struct Parts<'a> {
    prefix: String,
    command: &'a str,
    field: &'a str,
    limit: Option<Limit>,
}

impl<'a> Parts<'a> {
    fn of(error: &'a CommandError) -> Parts<'a> {
        let command = error.command.as_deref().unwrap_or("");
        Parts {
            prefix: if command.is_empty() {
                String::new()
            } else {
                format!("{command}: ")
            },
            command,
            field: error.field.as_deref().unwrap_or(""),
            limit: error.limit,
        }
    }
}

fn english(error: &CommandError) -> String {
    let Parts {
        prefix,
        command,
        field,
        limit,
    } = Parts::of(error);
    match error.code {
        ErrorCode::MalformedJson => "the relay could not read the command: send each command \
            as one JSON object, such as {\"cmd\": \"tcp_listen\", …}"
            .to_owned(),
        ErrorCode::UnknownCommand if command.is_empty() => {
            "the command has no \"cmd\": say which command to run, such as \"tcp_listen\""
                .to_owned()
        }
        ErrorCode::UnknownCommand => {
            format!("the relay has no command \"{command}\": docs/PROTOCOL.md lists the commands")
        }
        ErrorCode::InvalidField => match limit {
            Some(Limit { found, min, max }) => {
                format!("{prefix}{field} must be from {min} to {max}, not {found}")
            }
            None if field.is_empty() => {
                format!("{prefix}a field is missing or of the wrong kind")
            }
            None => format!(
                "{prefix}the field \"{field}\" is missing or of the wrong kind: docs/PROTOCOL.md \
                 says what {command} takes"
            ),
        },
        ErrorCode::BadPort => match limit {
            Some(Limit { found, .. }) => {
                format!("{prefix}{found} is not a port: use a number from 1 to 65535")
            }
            None => format!(
                "{prefix}that port cannot be used here: use a number from 1 to 65535 (0, to let \
                 the kernel choose, only when binding)"
            ),
        },
        ErrorCode::BadHost => format!(
            "{prefix}the host is neither an IP address nor a name this machine can resolve: \
             try 127.0.0.1"
        ),
        ErrorCode::InvalidHex => {
            format!("{prefix}the payload is not hex: write two digits (0-9, a-f) for each byte")
        }
        ErrorCode::UnknownSocket => format!(
            "{prefix}there is no open socket with that number (it was closed, or never existed)"
        ),
        ErrorCode::WrongSocketKind => format!(
            "{prefix}this socket cannot do {command}: TCP uses send/recv on a connected socket \
             (accept() a connection on a listener first), UDP uses send_to/recv_from, and a \
             socket still connecting waits for connect() to return"
        ),
        ErrorCode::BufsizeOutOfRange => match limit {
            Some(Limit { found, min, max }) => {
                format!("{prefix}the buffer size must be from {min} to {max} bytes, not {found}")
            }
            None => format!("{prefix}the buffer size is outside what the relay allows"),
        },
        ErrorCode::PayloadTooLarge => match limit {
            Some(Limit { found, max, .. }) if field == "framing" => format!(
                "{prefix}a {found}-byte message does not fit its length header (at most {max} \
                 bytes): choose another framing or a shorter message"
            ),
            Some(Limit { found, max, .. }) => format!(
                "{prefix}the payload is {found} bytes; the relay sends at most {max} at once"
            ),
            None => format!("{prefix}the payload is larger than the relay sends at once"),
        },
        ErrorCode::TargetNotAllowed => format!(
            "{prefix}that address is not this machine's loopback, and the relay reaches other \
             machines only when started with --allow-remote"
        ),
        ErrorCode::LimitReached => match limit {
            Some(Limit { found, .. }) => format!(
                "{prefix}this page already has {found} sockets open, the most it may: close some \
                 first"
            ),
            None => format!(
                "{prefix}a limit of this session was reached (commands a second, sockets open, or \
                 calls waiting on one socket): wait a moment, or close some sockets"
            ),
        },
        ErrorCode::Internal => format!(
            "{prefix}the relay failed in a way that is not this command's fault: try again, and \
             see the relay's log"
        ),
        ErrorCode::BadPath => format!(
            "{prefix}the path setting \"{field}\" is outside its range: the path form shows each \
             setting's range"
        ),
        ErrorCode::LabUnavailable => format!(
            "{prefix}the network lab cannot be built on this machine, so the path stays loopback: \
             {}",
            error.message
        ),
        ErrorCode::PathBusy => format!(
            "{prefix}sockets are open on the current path: close them first (a path's delay and \
             loss can change at any time; loopback or the lab, and the MTU, only with no socket \
             open)"
        ),
        ErrorCode::CountersUnavailable => format!(
            "{prefix}the kernel's socket table could not be read, so the watched connections' \
             congestion window and RTT will not show (their packets still do): {}",
            error.message
        ),
    }
}

fn chinese(error: &CommandError) -> String {
    let Parts {
        prefix,
        command,
        field,
        limit,
    } = Parts::of(error);
    match error.code {
        ErrorCode::MalformedJson => {
            "relay 无法读取这条命令：每条命令都要是一个 JSON 对象，例如 {\"cmd\": \"tcp_listen\", …}"
                .to_owned()
        }
        ErrorCode::UnknownCommand if command.is_empty() => {
            "命令缺少 \"cmd\"：请说明要执行哪条命令，例如 \"tcp_listen\"".to_owned()
        }
        ErrorCode::UnknownCommand => {
            format!("relay 没有 \"{command}\" 这条命令：命令列表见 docs/PROTOCOL.md")
        }
        ErrorCode::InvalidField => match limit {
            Some(Limit { found, min, max }) => {
                format!("{prefix}{field} 必须在 {min} 到 {max} 之间，而不是 {found}")
            }
            None if field.is_empty() => format!("{prefix}有字段缺失或类型不对"),
            None => format!(
                "{prefix}字段 \"{field}\" 缺失或类型不对：{command} 接受哪些字段见 docs/PROTOCOL.md"
            ),
        },
        ErrorCode::BadPort => match limit {
            Some(Limit { found, .. }) => {
                format!("{prefix}{found} 不是端口号：请用 1 到 65535 之间的数")
            }
            None => format!(
                "{prefix}这里不能用这个端口：请用 1 到 65535 之间的数（0 表示由内核选择，只能在绑定时用）"
            ),
        },
        ErrorCode::BadHost => format!(
            "{prefix}主机既不是 IP 地址，也不是本机能解析的名字：试试 127.0.0.1"
        ),
        ErrorCode::InvalidHex => {
            format!("{prefix}载荷不是十六进制：每个字节写两位数字（0-9、a-f）")
        }
        ErrorCode::UnknownSocket => {
            format!("{prefix}没有这个编号的已打开套接字（它已关闭，或从未存在）")
        }
        ErrorCode::WrongSocketKind => format!(
            "{prefix}这个套接字不能执行 {command}：TCP 在已连接的套接字上用 send/recv（监听套接字要先 accept() 一个连接），UDP 用 send_to/recv_from，正在连接的套接字要等 connect() 返回"
        ),
        ErrorCode::BufsizeOutOfRange => match limit {
            Some(Limit { found, min, max }) => {
                format!("{prefix}缓冲区大小必须在 {min} 到 {max} 字节之间，而不是 {found}")
            }
            None => format!("{prefix}缓冲区大小超出了 relay 允许的范围"),
        },
        ErrorCode::PayloadTooLarge => match limit {
            Some(Limit { found, max, .. }) if field == "framing" => format!(
                "{prefix}{found} 字节的消息放不进它的长度头（最多 {max} 字节）：换一种分帧方式，或缩短消息"
            ),
            Some(Limit { found, max, .. }) => {
                format!("{prefix}载荷有 {found} 字节；relay 一次最多发送 {max} 字节")
            }
            None => format!("{prefix}载荷超过了 relay 一次能发送的大小"),
        },
        ErrorCode::TargetNotAllowed => format!(
            "{prefix}这个地址不是本机的回环地址；relay 只有用 --allow-remote 启动时才会连接其他机器"
        ),
        ErrorCode::LimitReached => match limit {
            Some(Limit { found, .. }) => {
                format!("{prefix}这个页面已经打开了 {found} 个套接字，已达上限：请先关闭一些")
            }
            None => format!(
                "{prefix}达到了本会话的上限（每秒命令数、打开的套接字数，或一个套接字上等待的调用数）：稍等一下，或关闭一些套接字"
            ),
        },
        ErrorCode::Internal => {
            format!("{prefix}relay 出了错，这不是这条命令的问题：请重试，并查看 relay 的日志")
        }
        ErrorCode::BadPath => {
            format!("{prefix}路径设置 \"{field}\" 超出了允许的范围：路径表单上写有每项的范围")
        }
        ErrorCode::LabUnavailable => format!(
            "{prefix}这台机器上无法建立网络实验室，路径仍是回环接口：{}",
            error.message
        ),
        ErrorCode::PathBusy => format!(
            "{prefix}当前路径上还有打开的套接字：请先关闭它们（延迟和丢包随时可以改；回环与实验室之间的切换、MTU 只能在没有套接字时改）"
        ),
        ErrorCode::CountersUnavailable => format!(
            "{prefix}无法读取内核的套接字表，所以看不到被观察连接的拥塞窗口和 RTT（报文照常显示）：{}",
            error.message
        ),
    }
}

/// What an errno means, in Chinese, from its name: the errnos the relay
/// explains (`relay/src/sockets/errno.rs`) and the few others a socket
/// call commonly meets.
fn errno_in_chinese(errno: &str) -> Option<&'static str> {
    Some(match errno {
        "EADDRINUSE" => {
            "地址已被占用：另一个套接字占着这个地址和端口。如果那里的服务器刚关闭，它的连接可能还在 TIME_WAIT 中停留约一分钟：设置 SO_REUSEADDR（在 Linux 上旧套接字也要设置），稍等，或换一个端口。"
        }
        "EACCES" => "权限不足：1024 以下的端口是特权端口，绑定需要 root。请用 1024 以上的端口。",
        "EADDRNOTAVAIL" => "无法分配请求的地址：本机没有这个 IP 地址。",
        "ECONNREFUSED" => {
            "连接被拒绝：对方端口上没有程序在监听。TCP 的 SYN 收到了 RST；UDP 则是之前的数据报收到了 ICMP 端口不可达。先在那个端口上打开监听。"
        }
        "ETIMEDOUT" => "连接超时：对方一直没有应答。主机是否开着？是否有防火墙丢弃了数据包？",
        "ENETUNREACH" | "EHOSTUNREACH" => "没有路由：本机不知道如何到达那个网络。",
        "ECONNRESET" => {
            "连接被对方重置：对方用 RST 中止了连接（它关闭时还有未读的数据，或设置了 SO_LINGER 0）。"
        }
        "EPIPE" => "管道已断开：这个连接不能再发送了（它已被 shutdown 关闭写方向，或被对方重置）。",
        "ENOTCONN" => "传输端点未连接：这个连接没有打开（或已经不再打开）。",
        "EINVAL" => "参数无效：这个套接字不能执行这个调用（例如已连接的套接字不能再 listen）。",
        "EMSGSIZE" => "消息太长：在 IPv4 上一个 UDP 数据报最多携带 65,507 字节。",
        "EAGAIN" | "EWOULDBLOCK" => {
            "资源暂时不可用：现在没有可读的数据或发送缓冲区已满，稍后再试。"
        }
        "ENOBUFS" | "ENOMEM" => "内核的缓冲区或内存不足：稍后再试，或减小发送的数据量。",
        "EIO" => "输入/输出错误：系统调用失败了，但没有给出更具体的原因。",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: ErrorCode, field: Option<&str>, limit: Option<Limit>) -> CommandError {
        CommandError {
            request: Some(1),
            command: Some("recv".into()),
            code,
            message: "the relay's own words".into(),
            field: field.map(str::to_owned),
            limit,
        }
    }

    /// Every code, with and without a field and a limit, is worded in
    /// both languages, and neither wording is the relay's English.
    #[test]
    fn every_refusal_is_worded_in_both_languages() {
        let codes = [
            ErrorCode::MalformedJson,
            ErrorCode::UnknownCommand,
            ErrorCode::InvalidField,
            ErrorCode::BadPort,
            ErrorCode::BadHost,
            ErrorCode::InvalidHex,
            ErrorCode::UnknownSocket,
            ErrorCode::WrongSocketKind,
            ErrorCode::BufsizeOutOfRange,
            ErrorCode::PayloadTooLarge,
            ErrorCode::TargetNotAllowed,
            ErrorCode::LimitReached,
            ErrorCode::Internal,
            ErrorCode::BadPath,
            ErrorCode::LabUnavailable,
            ErrorCode::PathBusy,
            ErrorCode::CountersUnavailable,
        ];
        let limit = Limit {
            found: 2_000_000,
            min: 1,
            max: 1_048_576,
        };
        for code in codes {
            for (field, limit) in [(None, None), (Some("bufsize"), Some(limit))] {
                let error = refused(code, field, limit);
                let en = refusal(Lang::En, &error);
                let zh = refusal(Lang::Zh, &error);
                assert!(!en.is_empty() && en != error.message, "{code:?}: {en}");
                assert!(!zh.is_empty() && zh != en, "{code:?}: {zh}");
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{code:?}: {zh}"
                );
                let uses_limit = matches!(
                    code,
                    ErrorCode::InvalidField
                        | ErrorCode::BadPort
                        | ErrorCode::BufsizeOutOfRange
                        | ErrorCode::PayloadTooLarge
                        | ErrorCode::LimitReached
                );
                if limit.is_some() && uses_limit {
                    assert!(en.contains("2000000"), "{code:?}: {en}");
                    assert!(zh.contains("2000000"), "{code:?}: {zh}");
                }
            }
        }
    }

    #[test]
    fn a_limit_refusal_names_its_range() {
        let error = refused(
            ErrorCode::BufsizeOutOfRange,
            Some("bufsize"),
            Some(Limit {
                found: 0,
                min: 1,
                max: 4096,
            }),
        );
        assert_eq!(
            refusal(Lang::En, &error),
            "recv: the buffer size must be from 1 to 4096 bytes, not 0"
        );
        assert_eq!(
            refusal(Lang::Zh, &error),
            "recv: 缓冲区大小必须在 1 到 4096 字节之间，而不是 0"
        );
    }

    /// The errnos the relay explains are worded in Chinese; an errno with
    /// no words keeps the relay's English rather than nothing.
    #[test]
    fn errnos_are_worded_from_their_name() {
        for errno in [
            "EADDRINUSE",
            "EACCES",
            "EADDRNOTAVAIL",
            "ECONNREFUSED",
            "ETIMEDOUT",
            "ENETUNREACH",
            "EHOSTUNREACH",
            "ECONNRESET",
            "EPIPE",
            "ENOTCONN",
            "EINVAL",
            "EMSGSIZE",
            "EIO",
        ] {
            assert!(errno_in_chinese(errno).is_some(), "{errno}");
        }
        let refused = OsError {
            errno: "ECONNREFUSED".into(),
            code: 111,
            message: "Connection refused: nothing is listening on 127.0.0.1:9".into(),
        };
        assert_eq!(os_error(Lang::En, &refused), refused.message);
        assert!(os_error(Lang::Zh, &refused).starts_with("连接被拒绝"));
        let rare = OsError {
            errno: "ENOTSOCK".into(),
            code: 88,
            message: "Socket operation on non-socket.".into(),
        };
        assert_eq!(os_error(Lang::Zh, &rare), rare.message);
        assert_eq!(
            form_note(Lang::Zh, &FormNote::Failed(refused)),
            "ECONNREFUSED: 连接被拒绝：对方端口上没有程序在监听。TCP 的 SYN 收到了 RST；UDP 则是之前的数据报收到了 ICMP 端口不可达。先在那个端口上打开监听。"
        );
    }
}
