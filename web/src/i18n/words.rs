//! Model terms that several views print, in both languages: what a socket
//! is for, and the state of the link to the relay. The model keeps its
//! English names for `data-*` attributes and tests; these are for people.

use sockscope_shared::Framing;

use super::Lang;
use crate::model::connection::{GIVE_UP_AFTER, Link};
use crate::model::sockets::Role;

/// `listener`, `client`, `accepted`, `UDP`.
pub fn role(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Listener => lang.pick("listener", "监听"),
        Role::Client => lang.pick("client", "客户端"),
        Role::Accepted => lang.pick("accepted", "已接受"),
        Role::Udp => "UDP",
    }
}

/// A length header, as the framing menus name it.
pub fn framing(lang: Lang, framing: Framing) -> &'static str {
    match framing {
        Framing::None => lang.pick("none", "无"),
        Framing::Ascii4 => lang.pick("4 ASCII digits (zfill)", "4 位 ASCII 数字（zfill）"),
        Framing::U32Le => lang.pick("4 bytes little-endian ('<I')", "4 字节小端（'<I'）"),
        Framing::U32Be => lang.pick("4 bytes big-endian ('!I')", "4 字节大端（'!I'）"),
    }
}

/// The one-word state of the link to the relay.
pub fn link_label(lang: Lang, link: &Link) -> &'static str {
    match link {
        Link::Connecting => lang.pick("connecting", "连接中"),
        Link::Connected => lang.pick("connected", "已连接"),
        Link::Reconnecting { .. } => lang.pick("reconnecting", "正在重连"),
        Link::Gone { .. } => lang.pick("relay gone", "relay 无响应"),
    }
}

/// A sentence on the link: what is happening and what to do.
pub fn link_detail(lang: Lang, link: &Link) -> String {
    match (link, lang) {
        (_, Lang::En) => link.detail(),
        (Link::Connecting, Lang::Zh) => "正在打开到 relay 的 WebSocket……".into(),
        (Link::Connected, Lang::Zh) => "relay 正在为本页面操作真实的套接字。".into(),
        (
            Link::Reconnecting {
                attempt,
                retry_in_ms,
            },
            Lang::Zh,
        ) => format!(
            "与 relay 的连接断开了；{:.1} 秒后进行第 {attempt} 次尝试（共 {GIVE_UP_AFTER} 次）。",
            f64::from(*retry_in_ms) / 1000.0
        ),
        (Link::Gone { retry_in_ms }, Lang::Zh) => format!(
            "relay 没有响应。请重新启动它（cargo run -p sockscope）并刷新页面，或者打开一个事件日志。每 {} 秒重试一次。",
            retry_in_ms / 1000
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_keeps_the_models_words() {
        for link in [
            Link::Connecting,
            Link::Connected,
            Link::Gone { retry_in_ms: 5000 },
        ] {
            assert_eq!(link_label(Lang::En, &link), link.label());
            assert_eq!(link_detail(Lang::En, &link), link.detail());
            assert_ne!(link_detail(Lang::Zh, &link), link.detail());
        }
        assert_eq!(role(Lang::En, Role::Accepted), Role::Accepted.label());
        for f in Framing::ALL {
            assert_eq!(
                framing(Lang::En, f),
                crate::model::describe::framing_label(f)
            );
        }
        assert_eq!(role(Lang::Zh, Role::Client), "客户端");
    }
}
