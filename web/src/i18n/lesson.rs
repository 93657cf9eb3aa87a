//! The lesson panel's sentences in both languages: where a run stands, why
//! it stopped, what came back for each step, and what is wrong with a
//! lesson file. The model gives the facts as data ([`Status`], [`Halt`],
//! [`StepResult`], [`Problem`]); the words are here, each in one exhaustive
//! `match`, so a new fact without its Chinese does not compile.

use sockscope_shared::Framing;

use super::Lang;
use crate::lessons::LoadError;
use crate::model::hexdump::preview;
use crate::model::lesson::check::Field;
use crate::model::lesson::script::{Kind, Needs};
use crate::model::lesson::{Halt, Problem, Status, StepResult};

/// One line on where the run stands. `steps` counts the lesson's steps,
/// `next` is the step that runs next, `waiting` the step whose result is
/// awaited (all counted from 0).
pub fn status(
    lang: Lang,
    status: &Status,
    next: Option<usize>,
    steps: usize,
    waiting: Option<usize>,
) -> String {
    let step = next.map_or(steps, |n| n + 1);
    let out = waiting.map_or(0, |w| w + 1);
    match (status, lang) {
        (Status::Ready, Lang::En) => "Run plays the whole lesson; Step runs one command per click. Each run starts a fresh relay session: sockets opened before are closed.".into(),
        (Status::Ready, Lang::Zh) => "\u{201c}运行\u{201d}播放整节课；\u{201c}单步\u{201d}每点一次执行一条命令。每次运行都会开启新的 relay 会话：之前打开的套接字会被关闭。".into(),
        (Status::Connecting, Lang::En) => "Opening a fresh relay session…".into(),
        (Status::Connecting, Lang::Zh) => "正在开启新的 relay 会话……".into(),
        (Status::Playing | Status::Paused, Lang::En) if out > 0 => format!("Step {out}: waiting for the kernel's answer (accept() and recv() wait until there is something to return)."),
        (Status::Playing | Status::Paused, Lang::Zh) if out > 0 => format!("第 {out} 步：等待内核的回答（accept() 和 recv() 要等到有东西可返回才会返回）。"),
        (Status::Playing, Lang::En) => format!("Playing: step {step} of {steps}."),
        (Status::Playing, Lang::Zh) => format!("正在播放：第 {step} 步，共 {steps} 步。"),
        (Status::Paused, Lang::En) => format!("Press Step for step {step} of {steps}, or Run to play the rest."),
        (Status::Paused, Lang::Zh) => format!("按\u{201c}单步\u{201d}执行第 {step} 步（共 {steps} 步），或按\u{201c}运行\u{201d}播放剩下的部分。"),
        (Status::Done, Lang::En) => "Done: every step ran on real sockets. Walk back through what happened with the player (← →), or run it again.".into(),
        (Status::Done, Lang::Zh) => "完成：每一步都在真实的套接字上执行过了。可以用播放器（← →）回看经过，或者再运行一次。".into(),
        (Status::Halted(halt), _) => self::halt(lang, halt),
    }
}

/// What came back for a step, as its line in the step list shows it.
pub fn step_result(lang: Lang, result: &StepResult) -> String {
    match result {
        // Written as C writes it, in both languages, like the diagram.
        StepResult::Call { label } => label.clone(),
        StepResult::Sent => lang.pick("sent", "已发送").to_string(),
        StepResult::Refused(refusal) => super::refusal::refusal(lang, refusal),
        StepResult::Path { path } => match lang {
            Lang::En => format!("now on the {} path", path.id()),
            Lang::Zh => format!("现在走 {} 路径", path.id()),
        },
    }
}

/// Why a run stopped. Steps are shown counted from 1.
pub fn halt(lang: Lang, halt: &Halt) -> String {
    match (halt, lang) {
        (Halt::SocketFailed { step, socket }, Lang::En) => format!("Stopped at step {}: socket {socket} could not be opened (its step failed), so nothing can use it.", step + 1),
        (Halt::SocketFailed { step, socket }, Lang::Zh) => format!("停在第 {} 步：{socket} 号套接字没能打开（创建它的那一步失败了），无法使用。", step + 1),
        (Halt::NoSuchSocket { step, socket }, Lang::En) => format!("Stopped at step {}: no step before it creates socket {socket}.", step + 1),
        (Halt::NoSuchSocket { step, socket }, Lang::Zh) => format!("停在第 {} 步：之前没有任何一步创建 {socket} 号套接字。", step + 1),
        (Halt::NothingReceived { step, socket }, Lang::En) => format!("Stopped at step {}: nothing has been received on socket {socket} to answer.", step + 1),
        (Halt::NothingReceived { step, socket }, Lang::Zh) => format!("停在第 {} 步：{socket} 号套接字还没有收到任何可以回应的数据。", step + 1),
        (Halt::NotAHeader { step, socket, data, framing }, Lang::En) => format!(
            "Stopped at step {}: the last recv() on socket {socket} returned {}, which is not a {} header.",
            step + 1, preview(data, 24), framing_name(*framing)),
        (Halt::NotAHeader { step, socket, data, framing }, Lang::Zh) => format!(
            "停在第 {} 步：{socket} 号套接字上一次 recv() 返回 {}，不是{}报头。",
            step + 1, preview(data, 24), framing_name_zh(*framing)),
        (Halt::NotSent { step, message }, Lang::En) => format!("Stopped at step {}: the command could not be sent ({message}).", step + 1),
        (Halt::NotSent { step, message }, Lang::Zh) => format!("停在第 {} 步：命令没能发出（{message}）。", step + 1),
        (Halt::PathRefused(refusal), Lang::En) => format!("Stopped before step 1: the lesson's path could not be set. {}", super::refusal::refusal(lang, refusal)),
        (Halt::PathRefused(refusal), Lang::Zh) => format!("在第 1 步之前停止：无法设置本课的路径。{}", super::refusal::refusal(lang, refusal)),
        (Halt::PathNotSent { message }, Lang::En) => format!("Stopped before step 1: the lesson's path could not be sent ({message})."),
        (Halt::PathNotSent { message }, Lang::Zh) => format!("在第 1 步之前停止：本课的路径设置没能发出（{message}）。"),
        (Halt::SessionEnded, Lang::En) => "Stopped: the relay session ended (was the relay restarted?), and the lesson's sockets with it. Press Run to start again.".into(),
        (Halt::SessionEnded, Lang::Zh) => "已停止：relay 会话结束了（relay 重启过吗？），本课的套接字也随之关闭。按\u{201c}运行\u{201d}重新开始。".into(),
    }
}

/// Why a lesson file cannot be used, one sentence per problem.
pub fn load_error(lang: Lang, error: &LoadError) -> Vec<String> {
    match error {
        LoadError::Fetch(message) => vec![match lang {
            Lang::En => format!("The lesson could not be fetched: {message}"),
            Lang::Zh => format!("无法获取课程：{message}"),
        }],
        LoadError::Json(message) => vec![match lang {
            Lang::En => format!("This is not a lesson file: {message}"),
            Lang::Zh => format!("这不是课程文件：{message}"),
        }],
        LoadError::Problems(problems) => problems.iter().map(|p| problem(lang, p)).collect(),
    }
}

/// One problem of a lesson, for the teacher who wrote it.
pub fn problem(lang: Lang, problem: &Problem) -> String {
    match (problem, lang) {
        (Problem::BadId { id }, Lang::En) => format!(
            "The id {id:?} must be lowercase letters, digits and dashes (it goes into links)."
        ),
        (Problem::BadId { id }, Lang::Zh) => {
            format!("id {id:?} 只能由小写字母、数字和连字符组成（它会出现在链接里）。")
        }
        (Problem::NoText { field }, Lang::En) => {
            format!("{} has no text in any language.", field_name(lang, *field))
        }
        (Problem::NoText { field }, Lang::Zh) => {
            format!("{}没有任何语言的文字。", field_name(lang, *field))
        }
        (Problem::NoSteps, Lang::En) => "The lesson has no steps.".into(),
        (Problem::NoSteps, Lang::Zh) => "这节课没有任何步骤。".into(),
        (
            Problem::NoSuchSocket {
                step,
                socket,
                created,
            },
            Lang::En,
        ) => format!(
            "Step {}: socket {socket} does not exist yet (the steps before it create {created}).",
            step + 1
        ),
        (
            Problem::NoSuchSocket {
                step,
                socket,
                created,
            },
            Lang::Zh,
        ) => format!(
            "第 {} 步：{socket} 号套接字还不存在（之前的步骤只创建了 {created} 个）。",
            step + 1
        ),
        (
            Problem::Closed {
                step,
                socket,
                closed_by,
            },
            Lang::En,
        ) => format!(
            "Step {}: socket {socket} was closed by step {}.",
            step + 1,
            closed_by + 1
        ),
        (
            Problem::Closed {
                step,
                socket,
                closed_by,
            },
            Lang::Zh,
        ) => format!(
            "第 {} 步：{socket} 号套接字已在第 {} 步关闭。",
            step + 1,
            closed_by + 1
        ),
        (
            Problem::WrongKind {
                step,
                socket,
                is,
                needs,
            },
            _,
        ) => match lang {
            Lang::En => format!(
                "Step {}: socket {socket} is {}, but this step needs {}.",
                step + 1,
                kind_name(lang, *is),
                needs_name(lang, *needs)
            ),
            Lang::Zh => format!(
                "第 {} 步：{socket} 号是{}，但这一步需要{}。",
                step + 1,
                kind_name(lang, *is),
                needs_name(lang, *needs)
            ),
        },
        (Problem::AutoAccept { step }, Lang::En) => format!(
            "Step {}: automatic accept() would make sockets no step numbers; add tcp_accept steps instead.",
            step + 1
        ),
        (Problem::AutoAccept { step }, Lang::Zh) => format!(
            "第 {} 步：自动 accept() 产生的套接字没有编号；请改用 tcp_accept 步骤。",
            step + 1
        ),
        (Problem::NothingReceived { step, socket }, Lang::En) => format!(
            "Step {}: no recv() or recv_from() step on socket {socket} comes before it.",
            step + 1
        ),
        (Problem::NothingReceived { step, socket }, Lang::Zh) => format!(
            "第 {} 步：在它之前，{socket} 号套接字上没有 recv() 或 recv_from() 步骤。",
            step + 1
        ),
        (Problem::NoHeader { step }, Lang::En) => format!(
            "Step {}: recv_body needs a framing with a header (ascii4, u32_le or u32_be).",
            step + 1
        ),
        (Problem::NoHeader { step }, Lang::Zh) => format!(
            "第 {} 步：recv_body 需要带报头的分帧方式（ascii4、u32_le 或 u32_be）。",
            step + 1
        ),
    }
}

fn field_name(lang: Lang, field: Field) -> String {
    match (field, lang) {
        (Field::Title, Lang::En) => "The title".into(),
        (Field::Title, Lang::Zh) => "标题".into(),
        (Field::Explanation, Lang::En) => "The explanation".into(),
        (Field::Explanation, Lang::Zh) => "说明".into(),
        (Field::Note { step }, Lang::En) => format!("The note of step {}", step + 1),
        (Field::Note { step }, Lang::Zh) => format!("第 {} 步的注释", step + 1),
    }
}

fn kind_name(lang: Lang, kind: Kind) -> &'static str {
    match kind {
        Kind::Listener => lang.pick("a TCP listener", "TCP 监听套接字"),
        Kind::Stream => lang.pick("a connected TCP socket", "已连接的 TCP 套接字"),
        Kind::Udp => lang.pick("a UDP socket", "UDP 套接字"),
    }
}

fn needs_name(lang: Lang, needs: Needs) -> &'static str {
    match needs {
        Needs::Kind(kind) => kind_name(lang, kind),
        Needs::Any => lang.pick("any socket", "任意套接字"),
        Needs::StreamOrUdp => lang.pick(
            "a connected TCP socket or a UDP socket",
            "已连接的 TCP 套接字或 UDP 套接字",
        ),
    }
}

fn framing_name(framing: Framing) -> &'static str {
    match framing {
        Framing::None => "framing",
        Framing::Ascii4 => "4-digit ASCII",
        Framing::U32Le => "little-endian 4-byte",
        Framing::U32Be => "big-endian 4-byte",
    }
}

fn framing_name_zh(framing: Framing) -> &'static str {
    match framing {
        Framing::None => "分帧",
        Framing::Ascii4 => " 4 位 ASCII ",
        Framing::U32Le => "小端 4 字节",
        Framing::U32Be => "大端 4 字节",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_counted_from_one_for_people() {
        let halt = Halt::SocketFailed { step: 4, socket: 1 };
        assert!(self::halt(Lang::En, &halt).starts_with("Stopped at step 5: socket 1"));
        assert!(self::halt(Lang::Zh, &halt).starts_with("停在第 5 步"));
        let closed = Problem::Closed {
            step: 4,
            socket: 1,
            closed_by: 3,
        };
        assert_eq!(
            problem(Lang::En, &closed),
            "Step 5: socket 1 was closed by step 4."
        );
    }

    #[test]
    fn every_status_has_words_in_both_languages() {
        let statuses = [
            Status::Ready,
            Status::Connecting,
            Status::Playing,
            Status::Paused,
            Status::Done,
            Status::Halted(Halt::SessionEnded),
        ];
        for status in &statuses {
            for waiting in [None, Some(1)] {
                let en = self::status(Lang::En, status, Some(2), 7, waiting);
                let zh = self::status(Lang::Zh, status, Some(2), 7, waiting);
                assert!(!en.is_empty() && !zh.is_empty());
                assert_ne!(en, zh, "{status:?}");
            }
        }
        assert_eq!(
            self::status(Lang::En, &Status::Paused, Some(2), 7, None),
            "Press Step for step 3 of 7, or Run to play the rest."
        );
    }

    #[test]
    fn a_setting_sent_is_worded_and_a_call_is_written_as_c_writes_it() {
        let call = StepResult::Call {
            label: "listen(5) → ok".into(),
        };
        for lang in Lang::ALL {
            assert_eq!(step_result(lang, &call), "listen(5) → ok");
        }
        assert_eq!(step_result(Lang::En, &StepResult::Sent), "sent");
        assert_eq!(step_result(Lang::Zh, &StepResult::Sent), "已发送");
    }
}
